"""Exercise 16.1 · Break it on purpose: switch off the pixel caps.

The check passes while check_pixel_caps() lets every size through: a PNG of a
few kilobytes that is 8000 × 8000 pixels of one colour (64 megapixels, over
MAX_IMAGE_PIXELS but under Pillow's own limit of about 89 megapixels) is then
decoded, saved again and stored. What still holds without our caps is
Pillow's own line: its bomb warning, made an error, and its bomb error.
"""

import io
import re
import struct
import zlib
from pathlib import Path

import imagefactory
from forum import BOARD, full_image_urls_in, page, post_form, stored_files
from helpers import alert_text
from PIL import Image

BROKEN_ON_PURPOSE = True

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chunk(chunk_type, data):
    """One PNG chunk: length, type, data, then a CRC of type + data."""
    return struct.pack(">I", len(data)) + chunk_type + data + struct.pack(">I", zlib.crc32(chunk_type + data))


def one_colour_png(width, height):
    """A complete, valid PNG of width x height black pixels, 1 bit each: a
    decompression bomb. Every row is the same few bytes of zeros, which zlib
    squeezes to almost nothing (8000 x 8000 is about 8 KB)."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit, greyscale
    row = bytes(1 + (width + 7) // 8)  # the filter byte, then the row's bits
    packer = zlib.compressobj(9)
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return PNG_SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


class PeakMemory:
    """How much the process's memory (its resident set) grew at its peak while
    the block ran, in bytes; None where that cannot be measured (Linux only:
    writing 5 to /proc/self/clear_refs starts the peak again from now)."""

    def __init__(self):
        self.growth = None

    def __enter__(self):
        try:
            Path("/proc/self/clear_refs").write_text("5")
            self.start = self.peak()
        except OSError:
            self.start = None
        return self

    def __exit__(self, *exc_info):
        if self.start is not None:
            self.growth = self.peak() - self.start

    @staticmethod
    def peak():
        status = Path("/proc/self/status").read_text()
        return int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)[1]) * 1024


def send(client, filename, data):
    """Start a thread with this file, through the board's form; return the answer."""
    fields = {"title": "A black square", "body": "Look!"}
    return post_form(client, f"/boards/{BOARD}", f"/boards/{BOARD}/threads", fields, (filename, data))


def test_a_64_megapixel_bomb_is_now_decoded_and_stored(client, note):
    """An 8000 × 8000 PNG of a few KB (64 megapixels, over the 40 allowed) is accepted, decoded and stored.

    Hint: in images.py, make check_pixel_caps() return on its first line. (It
    is called twice, before decoding and again for each frame: the return
    switches off both.)
    """
    bomb = one_colour_png(8000, 8000)
    with PeakMemory() as memory:
        answer = send(client, "black.png", bomb)
    assert answer.status_code == 303, (
        f"the 64-megapixel PNG was refused ({answer.status_code}: {alert_text(answer)!r}): a cap still "
        "runs before decoding"
    )
    shown = client.get(answer.headers["Location"])
    assert "8000×8000" in page(shown).text(), "the thread does not show the image's size, 8000×8000"
    [full_url] = full_image_urls_in(shown)
    stored = client.get(full_url).data
    # What is stored is Pillow's own new file: it could only write it from the decoded pixels.
    size = Image.open(io.BytesIO(stored)).size
    assert size == (8000, 8000), f"the stored file is {size[0]} × {size[1]}, not the 8000 × 8000 picture"
    measured = ""
    if memory.growth:
        measured = f"; here the process's memory grew by {memory.growth / 2**20:.0f} MiB at its peak"
    note(
        f"a PNG of {len(bomb) / 1024:.0f} KiB was decoded into 64 million pixels: at least 61 MiB of "
        f"memory at one byte a pixel, and 244 MiB more for the thumbnail's RGB copy{measured}"
    )


def test_still_pillows_warning_made_an_error_refuses_9500_by_9500(client, upload_folder):
    """A 9500 × 9500 PNG (90 megapixels, over Pillow's limit) is still refused: Pillow's warning is an error.

    Hint: nothing to do: inspect_image() turns Pillow's DecompressionBombWarning
    into an error with warnings.simplefilter("error", ...), and refuses it.
    """
    answer = send(client, "black.png", one_colour_png(9500, 9500))
    assert answer.status_code == 400, f"the 90-megapixel PNG got {answer.status_code}"
    message = alert_text(answer)
    assert "9500 × 9500" in message, f"the message does not give the size: {message!r}"
    assert stored_files(upload_folder) == []


def test_still_pillows_error_refuses_60000_by_60000(client, upload_folder):
    """A PNG that says it is 60000 × 60000 (3.6 billion pixels) is still refused by Pillow's own error.

    Hint: nothing to do: over twice its limit, Image.open() itself raises
    DecompressionBombError, and inspect_image() refuses it.
    """
    answer = send(client, "black.png", imagefactory.png_bomb(60000, 60000))
    assert answer.status_code == 400, f"the 3.6-gigapixel PNG got {answer.status_code}"
    message = alert_text(answer)
    assert "60000 × 60000" in message, f"the message does not give the size: {message!r}"
    assert stored_files(upload_folder) == []
