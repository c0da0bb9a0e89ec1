"""Real image files, and hostile fakes, for the tests.

Everything is built with the standard library (struct and zlib), so the tests
need no image library. Each valid image here has been checked to display in
Chromium. The *_SIZE constants give each image's (width, height).
"""

import base64
import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

PNG_SIZE = (4, 3)  # the default size of png()
JPEG_SIZE = (3, 2)
GIF_SIZE = (3, 2)
WEBP_SIZE = (1, 1)  # webp(), webp_lossy() and webp_extended() are all 1x1


def _png_chunk(chunk_type: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data, then a CRC of type + data."""
    crc = zlib.crc32(chunk_type + data)
    return struct.pack(">I", len(data)) + chunk_type + data + struct.pack(">I", crc)


def png(width: int = 4, height: int = 3, rgb: tuple[int, int, int] = (37, 99, 235)) -> bytes:
    """A valid PNG, width x height, every pixel the colour `rgb`."""
    # IHDR: width, height, bit depth 8, colour type 2 (RGB), then compression,
    # filter and interlace methods, all 0.
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    row = b"\x00" + bytes(rgb) * width  # each row starts with filter type 0 (none)
    pixels = zlib.compress(row * height)
    return (
        PNG_SIGNATURE
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", pixels)
        + _png_chunk(b"IEND", b"")
    )


def png_of_size(total_bytes: int) -> bytes:
    """A valid PNG padded with zero bytes after IEND to exactly `total_bytes` long."""
    image = png()
    if total_bytes < len(image):
        raise ValueError(f"a PNG needs at least {len(image)} bytes")
    return image + bytes(total_bytes - len(image))


def jpeg() -> bytes:
    """A valid 3x2 baseline greyscale JPEG, every pixel mid-grey.

    The picture fits in one 8x8 block. Both Huffman tables hold a single
    1-bit code "0": for the DC table it means "no change from 128 (grey)",
    for the AC table "end of block". So the whole picture is the bits 00,
    padded with 1s to the byte 0x3F.
    """
    width, height = JPEG_SIZE

    def segment(marker: int, body: bytes) -> bytes:
        return struct.pack(">BBH", 0xFF, marker, len(body) + 2) + body

    quant_table = b"\x00" + bytes([1] * 64)  # table 0: every step is 1
    frame = struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00"
    one_code = b"\x01" + bytes(15)  # one code of length 1, none longer
    dc_table = b"\x00" + one_code + b"\x00"  # DC table 0: symbol 0
    ac_table = b"\x10" + one_code + b"\x00"  # AC table 0: symbol 0 (end of block)
    scan = b"\x01" + b"\x01\x00" + b"\x00\x3f\x00"  # 1 component, tables 0, full scan
    return (
        b"\xff\xd8"  # SOI: start of image
        + segment(0xDB, quant_table)
        + segment(0xC0, frame)  # SOF0: baseline frame
        + segment(0xC4, dc_table)
        + segment(0xC4, ac_table)
        + segment(0xDA, scan)  # SOS: start of scan
        + b"\x3f"  # the picture
        + b"\xff\xd9"  # EOI: end of image
    )


def gif() -> bytes:
    """A valid 3x2 GIF89a, every pixel blue, with a graphic control extension.

    The pixels are LZW-coded as "clear, colour 0" for each pixel, then "end":
    3-bit codes 4, 0, 4, 0, ..., 5, packed from the lowest bit up.
    """
    width, height = GIF_SIZE
    screen = struct.pack("<HHBBB", width, height, 0x80, 0, 0)  # 2-colour table
    colours = bytes([37, 99, 235, 255, 255, 255])  # colour 0 blue, colour 1 white
    control = b"\x21\xf9\x04\x00\x00\x00\x00\x00"  # extension: no delay, no transparency
    descriptor = b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0)
    codes = [4, 0] * (width * height) + [5]
    bits = sum(code << (3 * i) for i, code in enumerate(codes))
    lzw = bits.to_bytes((3 * len(codes) + 7) // 8, "little")
    pixels = b"\x02" + bytes([len(lzw)]) + lzw + b"\x00"  # code size 2, one sub-block
    return b"GIF89a" + screen + colours + control + descriptor + pixels + b"\x3b"


def webp() -> bytes:
    """A valid 1x1 lossless (VP8L) WebP."""
    return base64.b64decode("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")


def webp_lossy() -> bytes:
    """A valid 1x1 lossy (VP8) WebP."""
    return base64.b64decode("UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA")


def webp_extended() -> bytes:
    """A valid 1x1 extended (VP8X) WebP with an alpha channel."""
    return base64.b64decode(
        "UklGRkoAAABXRUJQVlA4WAoAAAAQAAAAAAAAAAAAQUxQSAwAAAARBxAR/Q9ERP8DAABWUDgg"
        "GAAAABQBAJ0BKgEAAQAAAP4AAA3AAP7mtQAAAA=="
    )


def truncated_png() -> bytes:
    """A PNG cut short in the middle of its pixel data."""
    image = png()
    return image[: len(image) - 20]


def magic_only_png() -> bytes:
    """Just the 8-byte PNG signature and nothing else."""
    return PNG_SIGNATURE


def svg_with_script() -> bytes:
    """An SVG image carrying a script: it runs if served as image/svg+xml."""
    return (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b"<script>alert(1)</script></svg>"
    )


def html_page() -> bytes:
    """An HTML page with a script, as someone might upload as "photo.png"."""
    return b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def png_with_script_appended() -> bytes:
    """A real PNG with a script after IEND: harmless when served as image/png."""
    return png() + b"<script>alert(1)</script>"


def gif_header_with_script() -> bytes:
    """The GIF magic bytes followed by a script, not a GIF at all."""
    return b"GIF89a<script>alert(1)</script>;"
