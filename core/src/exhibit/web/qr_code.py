"""A QR code for an authenticator app's enrolment address, as SVG markup in the page.

Drawn on the server by segno (no script, nothing loaded from elsewhere), so it shows in any
browser with the page's strict Content-Security-Policy.
"""

import segno
from markupsafe import Markup


def qr_code(uri: str) -> Markup:
    """An inline SVG of ``uri`` as a QR code, titled for screen readers."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, title="QR code for your authenticator app")
    return Markup(svg)  # noqa: S704 (segno's own SVG markup, built from our URI)
