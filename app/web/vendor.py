"""Browser libraries from the npm registry (`package.json`): served as published from node_modules,
and the analysts' editor, which npm ships as ES modules, bundled by esbuild into `frontend/dist/`.

Only the files the pages load are reachable; everything else under node_modules stays private.
`npm ci` and the esbuild step (run by `make setup`, `make run` and `make test`) put them in place.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory
from flask.typing import ResponseReturnValue

bp = Blueprint("vendor", __name__)


# Published files the pages use, by their path below node_modules/. Directories end with "/".
SERVED = (
    "bpmn-js/dist/bpmn-navigated-viewer.production.min.js",
    "bpmn-js/dist/bpmn-modeler.production.min.js",
    "bpmn-js/dist/assets/",
    # dmn-js: the decision tables of business rule tasks, edited inside the process editor.
    "dmn-js/dist/dmn-modeler.production.min.js",
    "dmn-js/dist/assets/",
    "echarts/dist/echarts.min.js",
    # pdf.js: PDF attachments preview inside the task page (static/js/pdf_preview.js).
    "pdfjs-dist/build/pdf.min.mjs",
    "pdfjs-dist/build/pdf.worker.min.mjs",
    # Its character maps and standard fonts: without them the text of a PDF in a CID font (Chinese
    # documents, e.g. reportlab's STSong-Light in the platform's own PDFs) is not drawn at all.
    "pdfjs-dist/cmaps/",
    "pdfjs-dist/standard_fonts/",
    # The API's documentation page (flask-smorest's Swagger UI template).
    "swagger-ui-dist/swagger-ui.css",
    "swagger-ui-dist/swagger-ui-bundle.js",
    "swagger-ui-dist/swagger-ui-standalone-preset.js",
)


# The editor bundle (frontend/src → frontend/dist: the Makefile's esbuild step), by file name.
BUILT = ("modeler.js", "modeler.css")


def node_modules() -> Path:
    return Path(current_app.root_path).parent / "node_modules"


def built() -> Path:
    return Path(current_app.root_path).parent / "frontend" / "dist"


def is_served(path: str) -> bool:
    if ".." in path.split("/") or path.startswith("/"):
        return False
    return any(path == item or (item.endswith("/") and path.startswith(item)) for item in SERVED)


@bp.route("/vendor/<path:path>")
def vendor(path: str) -> ResponseReturnValue:
    """A published front-end file; cached for a day (the version is pinned in package-lock.json)."""
    if not is_served(path):
        abort(404)
    return send_from_directory(node_modules(), path, max_age=86400)


@bp.route("/vendor/editor/<name>")
def editor_bundle(name: str) -> ResponseReturnValue:
    """The editor bundle built from package-lock.json's versions; revalidated (it changes with the
    sources in frontend/src, not with a pinned version)."""
    if name not in BUILT:
        abort(404)
    return send_from_directory(built(), name, max_age=0)
