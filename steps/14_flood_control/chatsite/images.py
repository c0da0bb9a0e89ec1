"""Check uploaded images by looking at their bytes.

An upload is judged by its *content*, never by its file name or the
Content-Type the browser sent: the uploader chooses both, so both can lie.
"cat.png" sent as image/png may really be HTML or SVG with a <script> in it.
So inspect_image walks the structure of the file itself (headers only, no
decoding) and only accepts a complete PNG, JPEG, GIF or WebP with a real size.
Every read is bounds-checked: bad input gives None, never an exception.
"""

import os
import struct

IMAGE_TYPES = {
    "png": {"content_type": "image/png", "extensions": (".png",)},
    "jpeg": {"content_type": "image/jpeg", "extensions": (".jpg", ".jpeg")},
    "gif": {"content_type": "image/gif", "extensions": (".gif",)},
    "webp": {"content_type": "image/webp", "extensions": (".webp",)},
}

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def inspect_image(data: bytes) -> tuple[str, int, int] | None:
    """Return (kind, width, height) if `data` is a complete image, else None."""
    checks = {"png": _png_size, "jpeg": _jpeg_size, "gif": _gif_size, "webp": _webp_size}
    for kind, size_of in checks.items():
        size = size_of(data)
        if size is not None:
            return kind, size[0], size[1]
    return None


def kind_for_filename(filename: str) -> str | None:
    """Return the kind whose extensions include this name's extension, else None."""
    extension = os.path.splitext(filename)[1].lower()
    for kind, info in IMAGE_TYPES.items():
        if extension in info["extensions"]:
            return kind
    return None


def _png_size(data):
    """Walk the chunks (length, type, data, CRC) from IHDR to IEND."""
    if not data.startswith(PNG_SIGNATURE):
        return None
    size = None
    pos = 8
    while pos + 12 <= len(data):
        length, chunk_type = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if end > len(data):  # chunk runs past the end: a truncated or faked file
            return None
        if size is None:  # the first chunk must be the header, IHDR
            if chunk_type != b"IHDR" or length != 13:
                return None
            size = struct.unpack(">II", data[pos + 8 : pos + 16])
            if size[0] == 0 or size[1] == 0:
                return None
        if chunk_type == b"IEND":
            return size  # bytes after IEND are harmless when served as image/png + nosniff
        pos = end
    return None  # never reached IEND: the file is cut short


def _jpeg_size(data):
    """Walk the segments (0xFF, marker, 2-byte length, data) up to the frame header."""
    if not data.startswith(b"\xff\xd8"):  # SOI, "start of image"
        return None
    pos = 2
    while pos < len(data) and data[pos] == 0xFF:
        while pos < len(data) and data[pos] == 0xFF:  # skip fill bytes
            pos += 1
        if pos >= len(data):
            return None
        marker = data[pos]
        pos += 1
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # standalone: no length
            continue
        if marker in (0xD8, 0xD9):  # a second start, or the end before any frame
            return None
        if pos + 2 > len(data):
            return None
        (length,) = struct.unpack(">H", data[pos : pos + 2])
        if length < 2 or pos + length > len(data):  # segment runs past the end
            return None
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if length < 7:  # a SOFn "start of frame": precision, height, width
                return None
            height, width = struct.unpack(">HH", data[pos + 3 : pos + 7])
            # The image data must be followed by EOI, or the file is truncated.
            if width == 0 or height == 0 or data.find(b"\xff\xd9", pos + length) == -1:
                return None
            return width, height
        pos += length
    return None  # ran off the end, or found garbage instead of a marker


def _gif_size(data):
    """Walk every block up to the trailer, so text dressed as a GIF is refused."""
    if data[:6] not in (b"GIF87a", b"GIF89a") or len(data) < 13:
        return None
    width, height, flags = struct.unpack("<HHB", data[6:11])
    if width == 0 or height == 0:
        return None
    pos = 13 + _gif_colour_table_size(flags)
    frames = 0
    while pos is not None and pos < len(data):
        block = data[pos]
        if block == 0x3B:  # trailer: the end of the file
            return (width, height) if frames else None
        if block == 0x21:  # extension: a label byte, then sub-blocks
            pos = _skip_sub_blocks(data, pos + 2)
        elif block == 0x2C and pos + 10 <= len(data):  # image descriptor
            pos += 10 + _gif_colour_table_size(data[pos + 9])
            pos = _skip_sub_blocks(data, pos + 1)  # +1: the LZW code size byte
            frames += 1
        else:
            return None
    return None  # ran off the end before the trailer


def _gif_colour_table_size(flags):
    """The size in bytes of the colour table announced by these flags."""
    if flags & 0x80:
        return 3 * 2 ** ((flags & 0x07) + 1)
    return 0


def _skip_sub_blocks(data, pos):
    """Return the position after a chain of GIF sub-blocks, or None if cut short."""
    while pos < len(data):
        block_size = data[pos]
        pos += 1 + block_size
        if block_size == 0:
            return pos
    return None


def _webp_size(data):
    """Check the RIFF container, then read the size from the first chunk."""
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    riff_size = int.from_bytes(data[4:8], "little")
    if 8 + riff_size > len(data):  # the file is shorter than it says: truncated
        return None
    chunk_type = data[12:16]
    chunk_size = int.from_bytes(data[16:20], "little")
    body = data[20 : 20 + chunk_size]
    # Every first chunk needs 10 bytes of header, and must fit inside the file.
    if chunk_size < 10 or 20 + chunk_size > 8 + riff_size:
        return None
    if chunk_type == b"VP8 " and body[3:6] == b"\x9d\x01\x2a":  # lossy
        width, height = struct.unpack("<HH", body[6:10])
        width, height = width & 0x3FFF, height & 0x3FFF
    elif chunk_type == b"VP8L" and body[0] == 0x2F:  # lossless
        bits = int.from_bytes(body[1:5], "little")
        width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    elif chunk_type == b"VP8X":  # extended: the canvas size
        width = int.from_bytes(body[4:7], "little") + 1
        height = int.from_bytes(body[7:10], "little") + 1
    else:
        return None
    if width == 0 or height == 0:
        return None
    return width, height
