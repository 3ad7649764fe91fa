"""The browser libraries from package.json: the published files the pages load, nothing else."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize(
    "path",
    [
        "/vendor/bpmn-js/dist/bpmn-navigated-viewer.production.min.js",
        "/vendor/bpmn-js/dist/bpmn-modeler.production.min.js",
        "/vendor/bpmn-js/dist/assets/bpmn-js.css",
        "/vendor/dmn-js/dist/dmn-modeler.production.min.js",
        "/vendor/dmn-js/dist/assets/dmn-js-decision-table.css",
        "/vendor/echarts/dist/echarts.min.js",
    ],
)
def test_published_files_are_served(pages: Any, path: str) -> None:
    response = pages().get(path)
    assert response.status_code == 200, "run `npm ci` (make setup does)"
    assert len(response.data) > 1000
    response.close()


@pytest.mark.parametrize(
    "path",
    [
        "/vendor/echarts/package.json",
        "/vendor/dmn-js/package.json",
        "/vendor/bpmn-js/dist/assets/../../package.json",
        "/vendor/bpmn-js/dist/assets/%2e%2e/%2e%2e/package.json",
        "/vendor/.package-lock.json",
    ],
)
def test_nothing_else_under_node_modules_is_reachable(pages: Any, path: str) -> None:
    assert pages().get(path).status_code == 404
