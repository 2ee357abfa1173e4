"""The enrolment QR code, as inline SVG markup.

The Content-Security-Policy refuses every image source (img-src 'none'), so
the code cannot be an <img> (not even a data: URL); an <svg> element in the
page is markup, not an image load, and needs no exception.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import qrcode
from django.utils.safestring import SafeString, mark_safe
from qrcode.image.svg import SvgPathFillImage

QR_CODE_PIXELS = 208


def qr_code_svg(data: str, *, label: str) -> SafeString:
    """``data`` as a QR code: one <svg> element with a white background (dark
    themes included: scanners want dark modules on light), ``label`` for screen
    readers."""
    image = qrcode.make(
        data,
        image_factory=SvgPathFillImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=2,
    )
    svg = image.get_image()
    svg.set("width", str(QR_CODE_PIXELS))
    svg.set("height", str(QR_CODE_PIXELS))
    svg.set("role", "img")
    svg.set("aria-label", label)
    # ElementTree escapes every attribute and text it writes: the markup is
    # safe whatever ``data`` and ``label`` hold.
    return mark_safe(ET.tostring(svg, encoding="unicode"))  # noqa: S308
