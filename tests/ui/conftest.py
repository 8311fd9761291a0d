"""The console in headless Chromium (Debian's `chromium`), driven by Playwright.

One browser per test module; each test gets a fresh page. Screenshots of the last run
go to tests/ui/screenshots/ (committed, so a reviewer can look without running).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(__file__).parent / "screenshots"
START_S = 90  # two cores shared with other suites: an agent can be slow to start
# A local tool run in the agent's own process (string and integer arguments).
DESCRIBE = {"name": "describe", "engine": "python",
            "engineSpec": {"entrypoint": "tests.support.echo_tool:describe"}}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page (own session storage); script errors and blocked loads fail the test."""
    context = browser.new_context(viewport={"width": 1360, "height": 860})
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text else None)
    page.on("requestfailed", lambda request: errors.append(f"{request.url} failed")
            if not request.url.startswith(("ws:", "http://127.0.0.1")) else None)
    yield page
    context.close()
    assert not errors, f"errors in the page: {errors}"


def shot(page: Page, name: str) -> None:
    """Keep a screenshot of the page as tests/ui/screenshots/<name>.png."""
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)
