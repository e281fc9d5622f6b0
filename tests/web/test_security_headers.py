"""Every page runs under a strict Content-Security-Policy and the headers that
keep it from being framed, sniffed or leaking its address (issue 12, pages)."""

from __future__ import annotations

import requests
from playwright.sync_api import ConsoleMessage, Page

from tests.web.pages_tour import tour

EXPECTED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _directives(policy: str) -> dict[str, str]:
    return {
        part.split()[0]: " ".join(part.split()[1:])
        for part in (p.strip() for p in policy.split(";"))
        if part
    }


def test_every_page_runs_under_the_policy_without_one_violation(
    page: Page, gateway: str, new_school
):
    refused: list[str] = []

    def heard(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    page.on("console", heard)
    answers: dict[str, dict[str, str]] = {}
    page.on(
        "response",
        lambda r: (
            answers.__setitem__(r.url, r.headers)
            if r.request.is_navigation_request()
            else None
        ),
    )
    seen = list(tour(page, gateway, new_school()))
    assert seen, "the tour opened no page"
    assert refused == []
    for url, headers in answers.items():
        policy = _directives(headers.get("content-security-policy", ""))
        assert policy.get("script-src") == "'self'", url
        assert policy.get("style-src") == "'self'", url
        assert policy.get("frame-ancestors") == "'none'", url
        for name, value in EXPECTED.items():
            assert headers.get(name.lower()) == value, (url, name)


def test_an_injected_inline_script_does_not_run(page: Page, gateway: str):
    """What the policy is for: markup slipped into a page runs no script."""
    page.goto(f"{gateway}/")
    page.evaluate(
        """() => {
          const box = document.createElement("div");
          box.innerHTML = '<img src="x" onerror="window.pwned = 1">';
          document.body.append(box);
          const script = document.createElement("script");
          script.textContent = "window.pwned = 2";
          document.body.append(script);
        }"""
    )
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.pwned") is None


def test_the_pages_cannot_be_framed_and_tls_gets_hsts(gateway: str):
    plain = requests.get(f"{gateway}/")
    assert "Strict-Transport-Security" not in plain.headers
    behind_tls = requests.get(f"{gateway}/", headers={"X-Forwarded-Proto": "https"})
    assert behind_tls.headers["Strict-Transport-Security"].startswith("max-age=")
    api = requests.get(f"{gateway}/api/compte")
    assert api.status_code == 401
    assert api.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in api.headers["Content-Security-Policy"]
