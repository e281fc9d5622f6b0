"""Every page of the site, as a school or a candidate reaches it, for the
checks that hold on all of them (accessibility, phone layout)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import Page

from gateway.pages import PAGES
from tests.web.test_candidate_pages import sign_in_as

AXE = Path(__file__).resolve().parents[2] / "node_modules/axe-core/axe.min.js"

PUBLIC = [
    "/",
    "/activation",
    "/mot-de-passe-oublie",
    "/reinitialisation",
    "/candidat/activation",
    "/candidat/espace",
    "/cgv",
    "/agents/guichet",
    "/agents/revue",
    "/page-qui-n-existe-pas",
]
SPACE = [
    "/espace",
    "/espace/compte",
    "/espace/candidats",
    "/espace/inscription",
    "/espace/reservations",
    "/espace/paiements",
    "/espace/resultats",
]
# A page added to the site without being added here fails the tour.
assert set(PAGES) <= set(PUBLIC) | set(SPACE), set(PAGES) - set(PUBLIC) - set(SPACE)


def tour(page: Page, gateway: str, school: dict) -> Iterator[str]:
    """Open each page in turn, settled (its calls to the API answered)."""
    for path in PUBLIC:
        page.goto(f"{gateway}{path}")
        page.wait_for_load_state("networkidle")
        yield path
    sign_in_as(page, gateway, school)
    for path in SPACE:
        page.goto(f"{gateway}{path}")
        page.wait_for_load_state("networkidle")
        yield path


def serious_violations(page: Page) -> list[dict]:
    """axe-core's serious and critical findings on the page as it is now."""
    # Evaluated through the browser's debugging protocol, which the pages'
    # Content-Security-Policy does not govern (a <script> tag it would refuse).
    page.evaluate(AXE.read_text())
    return page.evaluate(
        """async () => {
          const result = await axe.run(document, { resultTypes: ["violations"] });
          return result.violations
            .filter((v) => v.impact === "serious" || v.impact === "critical")
            .map((v) => ({
              rule: v.id,
              help: v.help,
              where: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
            }));
        }"""
    )


def sideways_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the screen (0: none)."""
    return page.evaluate(
        "() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)"
    )
