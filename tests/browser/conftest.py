"""A real browser against the app served for real: werkzeug in a thread, Debian's chromium driven by
Playwright. Chromium comes from apt (`.ci/run` installs it); `playwright install` is never run."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class LiveServer:
    """The app on 127.0.0.1 and a free port, served from a thread until stopped."""

    def __init__(self, app: Any) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def launch_chromium(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@pytest.fixture
def live_server(app: Any) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


CSP_VIOLATION = "Content Security Policy"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# axe-core (npm, dev) run inside the page through the DevTools protocol, which the page's CSP does
# not govern; the page itself is left as it is.
# Runs one at a time per page (axe refuses a second run while one is going).
AXE_RUN = """async (tags) => {
  const run = () => axe.run(document, {runOnly: {type: 'tag', values: tags}});
  window.__axeRun = (window.__axeRun || Promise.resolve()).then(run, run);
  const result = await window.__axeRun;
  return {url: location.pathname + location.search, lang: document.documentElement.lang,
          violations: result.violations.map(v => v.id + ': ' + v.help + ' '
            + JSON.stringify(v.nodes.slice(0, 3).map(n => n.target)))};
}"""
PAGE_KEY = """() => [location.pathname.replace(/[0-9]+/g, 'N'),
  [...new URLSearchParams(location.search).keys()].sort().join(','),
  document.documentElement.lang, window.innerWidth > 700 ? 'wide' : 'narrow', document.title].join(' ')"""
GONE = (
    "Execution context was destroyed",
    "Target page, context or browser has been closed",
    "frame was detached",
    "Cannot find context",
    "navigat",
)


class WatchingBrowser:
    """The browser, recording every Content-Security-Policy violation any of its pages reports in
    the console (Chromium logs each one), so a test fails if the policy blocks what a page loads,
    and running axe-core (WCAG 2.1 A and AA rules) on every page of the app a test opens, so the
    test fails on any accessibility violation.

    A page is checked when the test asks (``axe(page)``, after it loaded) and when its context
    closes. Each page is checked once per test (its route, query keys, language, width and title)."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser
        self.violations: list[str] = []
        self.axe_violations: dict[str, list[str]] = {}
        self.axe_checked: list[str] = []
        self._axe_seen: set[str] = set()
        self._axe_source = AXE.read_text(encoding="utf-8")
        self._contexts: list[Any] = []

    def _watch(self, target: Any) -> Any:
        target.on("console", self._console)
        if hasattr(target, "pages"):  # a context: every page it opens, checked once more at close
            target.on("page", self._watch_page)
            self._contexts.append(target)
            close = target.close

            def close_checked(*args: Any, **kwargs: Any) -> Any:
                self.check_open_pages(target)
                return close(*args, **kwargs)

            target.close = close_checked
        else:
            self._watch_page(target)
        return target

    def _watch_page(self, page: Any) -> None:
        """Pages are checked where the test says so (``browser.axe(page)``) and as their context
        closes: running axe from a navigation's route handler held the navigation forever."""

    def check_open_pages(self, context: Any) -> None:
        for page in list(context.pages):
            if not page.is_closed():
                self.axe(page)

    def _console(self, message: Any) -> None:
        if CSP_VIOLATION in message.text:
            self.violations.append(f"{message.location.get('url', '')}: {message.text}")

    def axe(self, page: Any) -> None:
        """axe-core on the page as it is now (pages of the app only)."""
        if not page.url.startswith("http://127.0.0.1:") or "/vendor/" in page.url:
            return
        try:
            key = page.evaluate(PAGE_KEY)
            if key in self._axe_seen:
                return
            self._axe_seen.add(key)
            if not page.evaluate("() => typeof window.axe === 'object'"):
                page.evaluate(self._axe_source)
            found = page.evaluate(AXE_RUN, WCAG_AA)
        except Exception as err:  # noqa: BLE001 - only a page that went away is forgiven
            if any(word in str(err) for word in GONE):
                return
            raise
        where = f"{found['url']} [{found['lang']}, {page.viewport_size and page.viewport_size['width']}px]"
        self.axe_checked.append(where)
        if found["violations"]:
            self.axe_violations[where] = found["violations"]

    def new_context(self, *args: Any, **kwargs: Any) -> Any:
        return self._watch(self._browser.new_context(*args, **kwargs))

    def new_page(self, *args: Any, **kwargs: Any) -> Any:
        return self._watch(self._browser.new_page(*args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)


@pytest.fixture
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = "chromium is not installed (apt-get install chromium; .ci/run does this)"
        if os.environ.get("CI"):
            pytest.fail(message)  # in CI a missing browser is a broken install, not a skip
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        watching = WatchingBrowser(chromium)
        try:
            yield watching
            for context in watching._contexts:  # pages still open at the end of the test
                if context.pages:
                    watching.check_open_pages(context)
        finally:
            chromium.close()
        assert not watching.violations, "CSP violations:\n" + "\n".join(watching.violations)
        assert watching.axe_checked, "axe-core checked no page"
        assert not watching.axe_violations, "axe-core (WCAG 2.1 AA) violations:\n" + "\n".join(
            f"{where}: {found}" for where, found in watching.axe_violations.items()
        )
