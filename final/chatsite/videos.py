"""Check uploaded videos by their container, and strip an MP4's metadata.

Videos are not decoded here (no server-side transcoding: that needs ffmpeg
and minutes of CPU per file). What can be checked cheaply is the container,
the structure that wraps the audio and video streams:

- WebM: an EBML header (element 1A 45 DF A3) whose DocType is exactly
  "webm" (plain Matroska, "matroska", can hold any codec: refused), followed
  by a Segment (18 53 80 67), which holds everything else.
- MP4: a sequence of boxes (4-byte size, 4-letter type). The first is
  "ftyp", whose major brand must be one of MP4_BRANDS; a "moov" (the index
  of the streams) and an "mdat" (the streams) must be there too.

A camera or phone writes its metadata (GPS position, device, date) into MP4
"udta" and "meta" boxes. strip_mp4_metadata overwrites each one, inside
"moov" and its "trak"s (and at the top), with a "free" box of the same size,
full of zeros: every offset in the file stays valid, and the metadata is gone.

Every read is bounds-checked: bad input gives None, never an exception.
"""

import struct

VIDEO_TYPES = {
    "webm": {"content_type": "video/webm", "extensions": (".webm",), "label": "WebM video"},
    "mp4": {"content_type": "video/mp4", "extensions": (".mp4",), "label": "MP4 video"},
}

NOT_A_VIDEO = "This file is not a complete WebM or MP4 video."

# The major brands (ftyp) of the MP4 files browsers play: ISO base media, MPEG-4, H.264, DASH.
MP4_BRANDS = ("isom", "iso2", "iso4", "iso5", "iso6", "mp41", "mp42", "avc1", "dash")

EBML_HEADER = b"\x1a\x45\xdf\xa3"
EBML_DOCTYPE = b"\x42\x82"
WEBM_SEGMENT = b"\x18\x53\x80\x67"

# The boxes that hold metadata, and the boxes (inside moov) that may contain them.
METADATA_BOXES = (b"udta", b"meta")
BOXES_WITH_METADATA = (b"moov", b"trak")


def kind_for_filename(filename):
    """"webm" or "mp4" for a name ending in one of their extensions, else None."""
    name = filename.lower()
    for kind, info in VIDEO_TYPES.items():
        if name.endswith(info["extensions"]):
            return kind
    return None


def kind_of(data):
    """"webm" or "mp4" if the first bytes say so (a first guess, like images.kind_of)."""
    if data.startswith(EBML_HEADER):
        return "webm"
    if data[4:8] == b"ftyp":
        return "mp4"
    return None


def inspect_video(data):
    """(kind, the bytes to store) for a WebM or MP4 whose container is sound, else None.
    An MP4 comes back with its metadata boxes blanked (strip_mp4_metadata)."""
    if is_webm(data):
        return "webm", data
    stripped = strip_mp4_metadata(data)
    if stripped is not None:
        return "mp4", stripped
    return None


# --- WebM -----------------------------------------------------------------------------------


def read_vint(data, pos):
    """An EBML variable-length number at `pos`: (its value, its length in bytes), or None.
    The count of leading zero bits of the first byte, plus one, is the length (1 to 8)."""
    if pos >= len(data) or data[pos] == 0:
        return None
    length = 9 - data[pos].bit_length()
    if pos + length > len(data):
        return None
    value = int.from_bytes(data[pos : pos + length], "big")
    return value & ((1 << (7 * length)) - 1), length  # without the length marker bit


def read_element(data, pos):
    """(element ID bytes, payload start, payload end) of the EBML element at `pos`, or None.
    An ID keeps its marker bits (1A 45 DF A3 as written); a size of all ones ("unknown")
    runs to the end of the data."""
    element_id = read_vint(data, pos)
    if element_id is None:
        return None
    id_end = pos + element_id[1]
    size = read_vint(data, id_end)
    if size is None:
        return None
    value, length = size
    start = id_end + length
    end = len(data) if value == (1 << (7 * length)) - 1 else start + value
    if end > len(data):
        return None
    return data[pos:id_end], start, end


def is_webm(data):
    """True for an EBML header with DocType "webm", followed by a Segment."""
    header = read_element(data, 0)
    if header is None or header[0] != EBML_HEADER:
        return False
    _, pos, header_end = header
    doctype = None
    while pos < header_end:
        child = read_element(data, pos)
        if child is None or child[2] > header_end:
            return False
        child_id, start, end = child
        if child_id == EBML_DOCTYPE:
            doctype = data[start:end]
        pos = end
    segment = read_element(data, header_end)
    return doctype == b"webm" and segment is not None and segment[0] == WEBM_SEGMENT


# --- MP4 ----------------------------------------------------------------------------------------


def read_boxes(data, start, end):
    """[(type, box start, payload start, box end)] of the boxes from `start` to `end`,
    or None if any box is malformed: a size under its header's, or past `end`.
    Size 1: a 64-bit size follows the type. Size 0: the box runs to `end` (the last one)."""
    boxes = []
    pos = start
    while pos < end:
        if pos + 8 > end:
            return None
        size, box_type = struct.unpack(">I4s", data[pos : pos + 8])
        header = 8
        if size == 1:
            if pos + 16 > end:
                return None
            (size,) = struct.unpack(">Q", data[pos + 8 : pos + 16])
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            return None
        boxes.append((box_type, pos, pos + header, pos + size))
        pos += size
    return boxes


def strip_mp4_metadata(data):
    """The MP4's bytes with every udta and meta box blanked (see the top of this
    file); None if it is not an MP4 we accept."""
    boxes = read_boxes(data, 0, len(data))
    if not boxes or boxes[0][0] != b"ftyp":
        return None
    _, _, payload, end = boxes[0]
    if end - payload < 4 or data[payload : payload + 4].decode("latin-1") not in MP4_BRANDS:
        return None
    types = {box[0] for box in boxes}
    if b"moov" not in types or b"mdat" not in types:
        return None
    stripped = bytearray(data)
    if not blank_metadata(stripped, boxes):
        return None
    return bytes(stripped)


def blank_metadata(data, boxes):
    """Turn the metadata boxes among `boxes` (and inside moov and trak) into free
    boxes of the same size; False if a box inside moov is malformed."""
    for box_type, start, payload, end in boxes:
        if box_type in METADATA_BOXES:
            data[start + 4 : start + 8] = b"free"
            data[payload:end] = bytes(end - payload)
        elif box_type in BOXES_WITH_METADATA:
            children = read_boxes(data, payload, end)
            if children is None or not blank_metadata(data, children):
                return False
    return True
