"""Page tests: Playwright driving Debian's chromium against the real platform.

They run in a pass of their own without eventlet (PMC_TEST_PAGES=1, as
scripts/test.sh does): Playwright's event loop cannot run in a patched process.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

# The stack's fixtures, and the hooks that keep its logs to show when a run fails.
from tests.e2e.conftest import (  # noqa: F401
    gateway,
    new_school,
    pytest_terminal_summary,
    stack,
)

CHROMIUM = os.environ.get("PMC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if os.environ.get("PMC_TEST_PAGES") != "1":
    pytest.skip(
        "page tests run in their own pass: PMC_TEST_PAGES=1 pytest tests/web "
        "(scripts/test.sh does it)",
        allow_module_level=True,
    )


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(
            f"{CHROMIUM} is missing: scripts/test.sh installs Debian's chromium"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser, tmp_path, request) -> Iterator[object]:
    context = browser.new_context(
        locale="fr-FR", viewport={"width": 1200, "height": 900}
    )
    page = context.new_page()
    yield page
    # Keep what the user saw at the end, for whoever reads a failure.
    page.screenshot(path=str(tmp_path / f"{request.node.name}.png"), full_page=True)
    context.close()
