"""The headers every answer of the gateway carries, pages and API alike.

The pages keep their scripts and styles in files (gateway/web/static/), so the
Content-Security-Policy allows no inline script, no inline style sheet and no
`eval`: an injected `<script>` or `onclick=` does not run. The only origin
besides the platform's own is the card provider's hosted fields, to which the
payment page sends the card number (services/billing/hosted_fields.py).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from werkzeug.wrappers import Request, Response

# A year, as browsers' preload lists ask; only sent over TLS (RFC 6797 § 7.2).
HSTS = "max-age=31536000; includeSubDomains"


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(card_provider_url: str) -> str:
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            # Leaflet's marker images are files; its cluster icons are drawn.
            "img-src 'self' data:",
            # The online reviewer's page plays the candidate's video from a
            # blob: URL the page's own script makes of the bytes the API sent;
            # no media from anywhere else, nor data: URLs markup could carry.
            "media-src blob:",
            f"connect-src 'self' {origin(card_provider_url)}",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


class SecurityHeaders:
    """Adds the headers to an answer; built once from the settings."""

    def __init__(self, card_provider_url: str) -> None:
        self.headers = {
            "Content-Security-Policy": content_security_policy(card_provider_url),
            # For browsers that predate frame-ancestors.
            "X-Frame-Options": "DENY",
            "X-Content-Type-Options": "nosniff",
            # Links carry secrets in their fragment; no page tells another
            # site where it came from.
            "Referrer-Policy": "no-referrer",
            "Cross-Origin-Opener-Policy": "same-origin",
            "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        }

    def add_to(self, response: Response, request: Request) -> None:
        for name, value in self.headers.items():
            response.headers.setdefault(name, value)
        if _over_tls(request):
            response.headers.setdefault("Strict-Transport-Security", HSTS)


def _over_tls(request: Request) -> bool:
    """TLS ends at the ingress in front of the gateway, which says so."""
    forwarded = request.headers.get("X-Forwarded-Proto", "")
    return request.scheme == "https" or forwarded.split(",")[0].strip() == "https"
