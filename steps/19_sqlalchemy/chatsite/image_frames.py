"""Counting an image's frames and a JPEG's scans from its bytes, before anything is decoded.

Decoding time grows with the number of frames (GIF, WebP, PNG) and of JPEG
"scans" (passes over the picture), not only with pixels: a 4 MB GIF of
110,000 frames of 1 x 1 pixel, or a JPEG of 62,300 nearly empty scans, is
under every pixel cap and takes a worker half a minute. So both are counted
first (images.check_frames_and_scans), by walking the file's blocks (Pillow's
n_frames would walk all 110,000 frames itself), and each walk stops as soon as
the cap is passed.

Each counter reads the bytes as they are, broken or not: a broken file is left
to the decoder. This module imports nothing of the app: it runs in the child
process that decodes images (image_child.py).
"""

import re

# A JPEG marker: 0xFF and a byte that is not 0 (0xFF 0x00 is a 0xFF byte of the
# compressed data), not a restart marker (0xD0-0xD7, inside the data too) and not
# another 0xFF (0xFF bytes may pad before a marker). re finds it in C, fast.
JPEG_MARKER = re.compile(rb"\xff+[^\x00\xd0-\xd7\xff]")


def count_jpeg_scans(data, stop_after):
    """How many scans (SOS markers) the first picture of a JPEG has, counting up
    to stop_after + 1. The compressed data after each SOS is skipped by looking
    for the next marker, as the decoder does."""
    scans, position = 0, 2  # after the SOI marker
    while scans <= stop_after:
        found = JPEG_MARKER.search(data, position)
        if found is None:
            break
        marker, position = data[found.end() - 1], found.end()
        if marker == 0xD9:  # EOI: the end of the picture
            break
        if marker == 0xDA:  # SOS: a scan starts
            scans += 1
        if marker not in (0xD8, 0x01):  # every other marker has a 2-byte length
            position += int.from_bytes(data[position : position + 2], "big")
    return scans


def count_gif_frames(data, stop_after):
    """How many images a GIF holds, counting up to stop_after + 1. A GIF is a
    list of blocks: "," an image, "!" an extension, ";" the end; the images'
    data and the extensions are "sub-blocks", each one a length byte and that
    many bytes, up to a length of 0. Like Pillow, skip any other byte."""
    frames = 0
    position = 13 + colour_table_size(data, 10)  # the header, then the global colour table
    while position < len(data) and frames <= stop_after:
        block = data[position]
        if block == 0x3B:  # ";"
            break
        if block == 0x2C:  # ",": an image, with its position, size and flags
            frames += 1
            position += 10 + colour_table_size(data, position + 9) + 1  # +1: LZW code size
            position = after_sub_blocks(data, position)
        elif block == 0x21:  # "!": an extension, with its label
            position = after_sub_blocks(data, position + 2)
        else:
            position += 1
    return frames


def colour_table_size(data, flags_at):
    """The size of the colour table that the flags byte at flags_at announces (or 0)."""
    if flags_at >= len(data) or not data[flags_at] & 0x80:
        return 0
    return 3 << ((data[flags_at] & 7) + 1)


def after_sub_blocks(data, position):
    """Where the sub-blocks starting at `position` end."""
    while position < len(data) and data[position]:
        position += data[position] + 1
    return position + 1


def count_png_frames(data, stop_after):
    """How many frames an animated PNG's acTL chunk announces (1 without one):
    the decoder reads no more than that. Chunks: length, type, data, CRC."""
    position = 8
    while position + 8 <= len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        chunk_type = data[position + 4 : position + 8]
        if chunk_type == b"acTL":
            return int.from_bytes(data[position + 8 : position + 12], "big")
        if chunk_type == b"IDAT":  # acTL must come before the pixels
            break
        position += 12 + length
    return 1


def count_webp_frames(data, stop_after):
    """How many ANMF chunks (animation frames) a WebP holds, counting up to
    stop_after + 1. Chunks: a 4-letter type, a length, the data (padded to even)."""
    frames, position = 0, 12  # after "RIFF", the file size and "WEBP"
    while position + 8 <= len(data) and frames <= stop_after:
        length = int.from_bytes(data[position + 4 : position + 8], "little")
        if data[position : position + 4] == b"ANMF":
            frames += 1
        position += 8 + length + length % 2
    return max(frames, 1)
