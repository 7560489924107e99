"""The Teams app icons, drawn and PNG-encoded in pure Python (no imaging library at runtime).

The mark is an "A" drawn as a small constellation: three people (the apex and the two feet)
linked to each other, with a crossbar of two more — a community holding together.
Shapes are signed distance fields; a pixel's coverage is how far its centre lies inside the
shape, which anti-aliases edges without supersampling.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Callable, Sequence
from functools import cache

#: Brand colour (#3B3F99), also the manifest's accentColor.
BRAND = (0x3B, 0x3F, 0x99)
WHITE = (0xFF, 0xFF, 0xFF)

COLOR_SIZE = 192
OUTLINE_SIZE = 32

#: Signed distance, in pixels, from a point to a shape's edge (negative inside).
Shape = Callable[[float, float], float]

# The glyph, in a unit box (y down): nodes (x, y, radius) and the links between them.
_APEX, _LEFT, _RIGHT = (0.5, 0.1), (0.13, 0.9), (0.87, 0.9)
_BAR = 0.6  # where the crossbar meets the legs, from the apex


def _along(a: tuple[float, float], b: tuple[float, float], t: float) -> tuple[float, float]:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)


_BAR_LEFT, _BAR_RIGHT = _along(_APEX, _LEFT, _BAR), _along(_APEX, _RIGHT, _BAR)
_NODES = (
    (*_APEX, 0.14),
    (*_LEFT, 0.12),
    (*_RIGHT, 0.12),
    (*_BAR_LEFT, 0.085),
    (*_BAR_RIGHT, 0.085),
)
_LINKS = ((_APEX, _LEFT), (_APEX, _RIGHT), (_BAR_LEFT, _BAR_RIGHT))
_LINK_HALF_WIDTH = 0.055


def encode_png(width: int, height: int, rgba: bytes) -> bytes:
    """A PNG of 8-bit RGBA pixels, row by row (filter 0 on every row)."""
    if len(rgba) != width * height * 4:
        raise ValueError(f"expected {width * height * 4} bytes of RGBA, got {len(rgba)}")

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    stride = width * 4
    raw = b"".join(b"\x00" + rgba[row * stride : (row + 1) * stride] for row in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def _circle(cx: float, cy: float, r: float) -> Shape:
    return lambda x, y: math.hypot(x - cx, y - cy) - r


def _segment(a: tuple[float, float], b: tuple[float, float], half_width: float) -> Shape:
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy

    def distance(x: float, y: float) -> float:
        t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / length2))
        return math.hypot(x - (ax + t * dx), y - (ay + t * dy)) - half_width

    return distance


def _rounded_square(size: float, radius: float) -> Shape:
    half = size / 2

    def distance(x: float, y: float) -> float:
        qx, qy = abs(x - half) - (half - radius), abs(y - half) - (half - radius)
        outside = math.hypot(max(qx, 0.0), max(qy, 0.0))
        return outside + min(max(qx, qy), 0.0) - radius

    return distance


def _glyph(origin: float, span: float) -> list[Shape]:
    """The mark's shapes, its unit box mapped to [origin, origin + span] pixels on both axes."""

    def at(point: tuple[float, float]) -> tuple[float, float]:
        return (origin + point[0] * span, origin + point[1] * span)

    nodes = [_circle(*at((x, y)), r * span) for x, y, r in _NODES]
    links = [_segment(at(a), at(b), _LINK_HALF_WIDTH * span) for a, b in _LINKS]
    return nodes + links


def _coverage(shapes: Sequence[Shape], x: float, y: float) -> float:
    """How much of the pixel centred at (x, y) the union of ``shapes`` covers, 0 to 1."""
    distance = min(shape(x, y) for shape in shapes)
    return max(0.0, min(1.0, 0.5 - distance))


def _mix(a: int, b: int, t: float) -> int:
    return round(a + (b - a) * t)


@cache
def color_icon() -> bytes:
    """The 192×192 full-colour icon: the white mark on a brand-coloured rounded square."""
    size = COLOR_SIZE
    background = [_rounded_square(size, 40.0)]
    mark = _glyph(origin=44.0, span=104.0)  # the symbol stays near the central 96×96
    pixels = bytearray()
    for row in range(size):
        for col in range(size):
            x, y = col + 0.5, row + 0.5
            alpha = _coverage(background, x, y)
            ink = _coverage(mark, x, y)
            pixels += bytes(
                (
                    _mix(BRAND[0], WHITE[0], ink),
                    _mix(BRAND[1], WHITE[1], ink),
                    _mix(BRAND[2], WHITE[2], ink),
                    round(alpha * 255),
                )
            )
    return encode_png(size, size, bytes(pixels))


@cache
def outline_icon() -> bytes:
    """The 32×32 outline icon: the same mark, white on transparent (only white pixels)."""
    size = OUTLINE_SIZE
    mark = _glyph(origin=3.0, span=26.0)
    pixels = bytearray()
    for row in range(size):
        for col in range(size):
            alpha = round(_coverage(mark, col + 0.5, row + 0.5) * 255)
            pixels += bytes((*WHITE, alpha))
    return encode_png(size, size, bytes(pixels))
