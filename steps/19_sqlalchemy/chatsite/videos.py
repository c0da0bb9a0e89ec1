"""Check uploaded videos by their container, and strip an MP4's metadata.

Videos are not decoded here (no server-side transcoding: that needs ffmpeg
and minutes of CPU per file). What can be checked cheaply is the container,
the structure that wraps the audio and video streams:

- WebM: an EBML header (element 1A 45 DF A3) whose DocType is exactly
  "webm" (plain Matroska, "matroska", can hold any codec: refused), followed
  by a Segment (18 53 80 67), which holds everything else: WebM's top-level
  elements, read one after the other to the file's last byte.
- MP4: a sequence of boxes (4-byte size, 4-letter type), to the file's last
  byte, each of a type an MP4 has at the top. The first is "ftyp", whose
  major brand must be one of MP4_BRANDS; a "moov" (the index of the streams)
  and an "mdat" (the streams) must be there too. The boxes inside moov are
  read too, and must fill it exactly.

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

# What a Segment holds: Matroska's top-level elements, and Void and CRC-32,
# which may be anywhere. A Cluster holds a part of the video: its time, its frames.
CLUSTER = b"\x1f\x43\xb6\x75"
VOID_AND_CRC = (b"\xec", b"\xbf")
SEGMENT_CHILDREN = (
    b"\x11\x4d\x9b\x74",  # SeekHead: where the other top-level elements are
    b"\x15\x49\xa9\x66",  # Info: the duration, the time scale, the muxer
    b"\x16\x54\xae\x6b",  # Tracks: each stream and its codec
    CLUSTER,
    b"\x1c\x53\xbb\x6b",  # Cues: an index for seeking
    b"\x10\x43\xa7\x70",  # Chapters
    b"\x12\x54\xc3\x67",  # Tags
    b"\x19\x41\xa4\x69",  # Attachments
    *VOID_AND_CRC,
)
CLUSTER_CHILDREN = (
    b"\xe7",  # Timestamp: the Cluster's time
    b"\xa7",  # Position
    b"\xab",  # PrevSize
    b"\xa3",  # SimpleBlock: a frame
    b"\xa0",  # BlockGroup: a frame, with more about it
    b"\xaf",  # EncryptedBlock
    b"\x58\x54",  # SilentTracks
    *VOID_AND_CRC,
)

# The boxes that hold metadata (and "uuid", a maker's own box: often XMP
# metadata). The padding boxes ("free", "skip", QuickTime's "wide") say "nothing
# here": their content is blanked too, so that it cannot carry anything either.
METADATA_BOXES = (b"udta", b"meta", b"uuid", b"free", b"skip", b"wide")

# The boxes an MP4 file may have at the top: its type (ftyp), the index of the
# streams (moov) and the streams (mdat), padding, metadata, and the boxes of a
# "fragmented" MP4 (moof, mfra, sidx, styp...), which some cameras and every
# streaming tool write. Anything else is not an MP4 a browser needs, and a box
# nobody reads is a place to hide bytes.
TOP_LEVEL_BOXES = (
    (b"ftyp", b"moov", b"mdat", b"moof", b"mfra", b"sidx", b"ssix", b"styp", b"prft", b"emsg", b"pdin")
    + METADATA_BOXES
)  # fmt: skip

# The boxes whose content is nothing but more boxes, which are read in turn:
# the movie (moov), its tracks (trak), their media (mdia, minf), the sample
# tables (stbl), data references (dinf), edits (edts), and the fragments'
# (mvex, moof, traf, mfra). Their boxes must fill them exactly, to the last byte.
BOXES_WITH_METADATA = (
    b"moov", b"trak", b"mdia", b"minf", b"stbl", b"dinf", b"edts", b"mvex", b"moof", b"traf", b"mfra"
)  # fmt: skip

# How deep those boxes may be inside each other: moov > trak > mdia > minf >
# stbl is 5. A file of 2,000 "trak" boxes, each inside the one before, is not a video.
MAX_BOX_DEPTH = 8


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
    if doctype != b"webm" or segment is None or segment[0] != WEBM_SEGMENT:
        return False
    # The Segment is the rest of the file, to its last byte: nothing may follow it.
    return segment[2] == len(data) and segment_is_sound(data, segment[1])


def segment_is_sound(data, pos):
    """True if the Segment's content, from `pos` to the end of `data`, is WebM's
    top-level elements, one after the other to the last byte, and each Cluster
    holds only a Cluster's elements. Anything else (bytes that are not an
    element, an element WebM does not have there) is refused: no byte of a
    stored video goes unread.

    A Cluster of unknown size (browsers' MediaRecorder writes them) has no end
    to skip to: its elements are read until the next top-level element starts.
    """
    in_open_cluster = False  # inside a Cluster of unknown size
    while pos < len(data):
        element = read_element(data, pos)
        if element is None:
            return False
        element_id, start, end = element
        if in_open_cluster and element_id in CLUSTER_CHILDREN:
            # One of the open Cluster's elements, of a known size.
            if has_unknown_size(data, pos):
                return False
            pos = end
            continue
        in_open_cluster = False
        if element_id not in SEGMENT_CHILDREN:
            return False
        if has_unknown_size(data, pos):  # only a Cluster may have an unknown size
            if element_id != CLUSTER:
                return False
            in_open_cluster = True
            pos = start
            continue
        if element_id == CLUSTER and not cluster_is_sound(data, start, end):
            return False
        pos = end
    return True


def cluster_is_sound(data, pos, end):
    """True if a Cluster's content, from `pos` to `end`, is a Cluster's elements to its last byte."""
    while pos < end:
        element = read_element(data, pos)
        if element is None or element[0] not in CLUSTER_CHILDREN or element[2] > end:
            return False
        if has_unknown_size(data, pos):
            return False
        pos = element[2]
    return True


def has_unknown_size(data, pos):
    """True if the element at `pos` (which read_element has read) says its size is
    "unknown": all its bits set. read_element runs such an element to the end."""
    id_length = read_vint(data, pos)[1]
    value, length = read_vint(data, pos + id_length)
    return value == (1 << (7 * length)) - 1


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
    """Turn the metadata boxes among `boxes` (and inside the boxes of boxes,
    BOXES_WITH_METADATA) into free boxes of the same size; False if a box at the
    top is not one of TOP_LEVEL_BOXES, if a box inside is malformed or does not
    fill its container exactly, or if boxes are nested deeper than MAX_BOX_DEPTH.

    A list of boxes still to read, rather than a function calling itself for
    each level: how deep a file's boxes go is for the file to say, not for Python's stack.
    """
    if any(box[0] not in TOP_LEVEL_BOXES for box in boxes):
        return False
    to_read = [(box, 1) for box in boxes]  # (box, how deep it is)
    while to_read:
        (box_type, start, payload, end), depth = to_read.pop()
        if box_type in METADATA_BOXES:
            data[start + 4 : start + 8] = b"free"
            data[payload:end] = bytes(end - payload)
        elif box_type in BOXES_WITH_METADATA:
            children = read_boxes(data, payload, end)
            if children is None or (children and depth == MAX_BOX_DEPTH):
                return False
            to_read.extend((child, depth + 1) for child in children)
    return True
