"""Playwright fixtures for the browser tests: Debian's Chromium (never a downloaded browser),
headless, against pytest-django's live server on loopback.

Every test here is marked `browser`. Screenshots go to test-artifacts/screenshots/ (kept by
CI as artifacts, ignored by git). Without /usr/bin/chromium they are skipped, never failed,
and the end of the run says how many and how to install it (`make test` as root does).
"""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

# Playwright's sync API runs an event loop in the test thread; Django would otherwise refuse
# ORM calls from that thread (SynchronousOnlyOperation). The tests themselves stay synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    # This machine's network is closed: without these Chromium keeps trying to phone home.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 860}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
TIMEOUT_MS = 15_000
INSTALL = "apt-get install -y --no-install-recommends chromium fonts-liberation"
MISSING = f"{CHROMIUM} is missing; install it as root: {INSTALL}"


def chromium_missing() -> bool:
    return not os.access(CHROMIUM, os.X_OK)


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    missing = chromium_missing()
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
            if missing:
                item.add_marker(pytest.mark.skip(reason=MISSING))


def pytest_terminal_summary(terminalreporter):
    """Say at the end, where it is seen, that the browser tests did not run (-q hides the
    reasons of skips)."""
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if isinstance(report.longrepr, tuple) and MISSING in str(report.longrepr[2])
    ]
    if skipped:
        tests = "test" if len(skipped) == 1 else "tests"
        terminalreporter.write_line(
            f"SKIPPED {len(skipped)} browser {tests}: {MISSING}", yellow=True, bold=True
        )


@pytest.fixture(scope="session")
def browser():
    if chromium_missing():
        pytest.skip(MISSING)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _new_page(browser, live_server, viewport):
    context = browser.new_context(viewport=viewport, base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


@pytest.fixture
def page(browser, live_server):
    """A phone-sized page (360 px wide): the clinic's clients book on their phones."""
    context, page = _new_page(browser, live_server, PHONE)
    yield page
    context.close()


@pytest.fixture
def desktop_page(browser, live_server):
    context, page = _new_page(browser, live_server, DESKTOP)
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot as test-artifacts/screenshots/<name>-<width>px.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    path = ARTIFACTS / f"{slug}-{page.viewport_size['width']}px.png"
    page.screenshot(path=path, full_page=True)
    return path
