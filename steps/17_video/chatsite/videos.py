"""Check uploaded videos by their container: WebM and MP4, with the standard library.

A video file is a *container* holding *streams*: the pictures, encoded by a
codec (VP8, VP9, AV1, H.264...), the sound by another, and the records that
say which bytes belong to which moment. Decoding the pictures, as images.py
does for images, would need a video library such as FFmpeg: a huge amount of
C that reads hostile bytes, and seconds of work per video. Every reader's
browser already has that code, in its sandbox, kept up to date. So videos
are never decoded or converted here: inspect_video() checks the container,
as step 06 checked images, and the browser decodes the pictures.

Every read is bounds-checked, as in step 06: bad input gives None, never an
exception.
"""

import struct

VIDEO_TYPES = {
    "webm": {"content_type": "video/webm", "extensions": (".webm",), "label": "WebM video"},
    "mp4": {"content_type": "video/mp4", "extensions": (".mp4",), "label": "MP4 video"},
}

# The "major brands" of MP4 that we accept: the flavours of the ISO base media
# format that browsers play. (A brand names the container's flavour, not the
# codec inside: an MP4 whose codec a browser cannot play still shows a player.)
MP4_BRANDS = ("isom", "iso2", "iso4", "iso5", "iso6", "mp41", "mp42", "avc1", "dash")

# The ids of the three EBML elements a WebM file must start with.
EBML_HEADER = b"\x1a\x45\xdf\xa3"
EBML_DOCTYPE = b"\x42\x82"
MATROSKA_SEGMENT = b"\x18\x53\x80\x67"

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

# MP4 boxes that hold metadata: the place a phone recorded ("©xyz"), the date,
# the model. They are found inside "moov" and inside each track's "trak"
# (and "uuid", a maker's own box: often XMP metadata). The padding boxes
# ("free", "skip", QuickTime's "wide") say "nothing here": their content is
# blanked too, so that it cannot carry anything either.
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
CONTAINER_BOXES = (
    b"moov", b"trak", b"mdia", b"minf", b"stbl", b"dinf", b"edts", b"mvex", b"moof", b"traf", b"mfra"
)  # fmt: skip

# How deep those boxes may be inside each other: moov > trak > mdia > minf >
# stbl is 5. A file of 2,000 "trak" boxes, each inside the one before, is not a video.
MAX_BOX_DEPTH = 8


def inspect_video(data: bytes) -> tuple[str, bytes] | None:
    """Return (kind, the bytes to store) if `data` is a WebM or MP4 video, else None.

    A WebM file is stored as it came. An MP4 file is stored with its metadata
    boxes blanked (blank_mp4_metadata).
    """
    if is_webm(data):
        return "webm", data
    if is_mp4(data):
        return "mp4", blank_mp4_metadata(data)
    return None


# --- WebM: EBML elements ------------------------------------------------------------
# WebM is a subset of Matroska, made of EBML elements: an id, a size, then
# the content. The id and the size are "variable-length integers": the
# position of the first 1 bit in the first byte says how many bytes the number
# takes (1000 0000: one byte, 0100 0000: two bytes, ... up to eight).


def read_vint(data, pos):
    """Read an EBML variable-length number at `pos`: return (its bytes, its value
    without the length bit, the position after it), or None if cut short."""
    if pos >= len(data) or data[pos] == 0:  # 0: more than 8 bytes, never valid
        return None
    length = 1
    while not data[pos] & (0x80 >> (length - 1)):
        length += 1
    if pos + length > len(data):
        return None
    raw = data[pos : pos + length]
    value = int.from_bytes(raw, "big") & ((1 << (7 * length)) - 1)  # drop the length bit
    return raw, value, pos + length


def read_element(data, pos):
    """Read an EBML element's header at `pos`: return (id bytes, size, where its
    content starts), or None. The size is None for "unknown size" (every value
    bit set), which a live recording uses for its Segment."""
    element_id = read_vint(data, pos)
    if element_id is None or len(element_id[0]) > 4:  # ids are 1 to 4 bytes
        return None
    size = read_vint(data, element_id[2])
    if size is None:
        return None
    raw_size, value, content_start = size
    unknown = value == (1 << (7 * len(raw_size))) - 1
    return element_id[0], None if unknown else value, content_start


def is_webm(data):
    """True if `data` starts with an EBML header whose DocType is "webm",
    followed by a Segment element."""
    header = read_element(data, 0)
    if header is None or header[0] != EBML_HEADER or header[1] is None:
        return False
    _, header_size, pos = header
    header_end = pos + header_size
    if header_end > len(data):
        return False
    doc_type = None
    while pos < header_end:  # the elements inside the EBML header
        child = read_element(data, pos)
        if child is None or child[1] is None or child[2] + child[1] > header_end:
            return False
        child_id, child_size, content_start = child
        if child_id == EBML_DOCTYPE:
            # Strings in EBML may be padded with zero bytes.
            doc_type = data[content_start : content_start + child_size].rstrip(b"\x00")
        pos = content_start + child_size
    # "webm" exactly: plain Matroska ("matroska") may hold codecs browsers cannot play.
    if doc_type != b"webm":
        return False
    segment = read_element(data, header_end)
    if segment is None or segment[0] != MATROSKA_SEGMENT:
        return False
    # The Segment is the rest of the file, to its last byte: a Segment of known
    # size that runs past the end is cut short, and nothing may follow it (a
    # live recording's Segment, of unknown size, runs to the end).
    _, segment_size, content_start = segment
    if segment_size is not None and content_start + segment_size != len(data):
        return False
    return segment_is_sound(data, content_start)


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
        element_id, size, content_start = element
        if in_open_cluster and element_id in CLUSTER_CHILDREN:
            # One of the open Cluster's elements: a known size, inside the file.
            if size is None or content_start + size > len(data):
                return False
            pos = content_start + size
            continue
        in_open_cluster = False
        if element_id not in SEGMENT_CHILDREN:
            return False
        if size is None:  # only a Cluster may have an unknown size
            if element_id != CLUSTER:
                return False
            in_open_cluster = True
            pos = content_start
            continue
        end = content_start + size
        if end > len(data):
            return False
        if element_id == CLUSTER and not cluster_is_sound(data, content_start, end):
            return False
        pos = end
    return True


def cluster_is_sound(data, pos, end):
    """True if a Cluster's content, from `pos` to `end`, is a Cluster's elements to its last byte."""
    while pos < end:
        element = read_element(data, pos)
        if element is None or element[0] not in CLUSTER_CHILDREN or element[1] is None:
            return False
        pos = element[2] + element[1]
    return pos == end


# --- MP4: boxes ------------------------------------------------------------------------
# An MP4 file is a list of boxes: a 32-bit size (the whole box, header
# included), a four-letter type, then the content, which may hold more boxes.
# Size 1: a 64-bit size follows the type. Size 0: the box runs to the end of
# the file (only the last box may say so).


def read_boxes(data, start, end):
    """The boxes between `start` and `end`: a list of (type, box start, content
    start, box end), or None if any box is broken (too small, or running past `end`)."""
    boxes = []
    pos = start
    while pos < end:
        if pos + 8 > end:
            return None
        size, box_type = struct.unpack(">I4s", data[pos : pos + 8])
        content_start = pos + 8
        if size == 1:  # a 64-bit size, after the type
            if pos + 16 > end:
                return None
            (size,) = struct.unpack(">Q", data[pos + 8 : pos + 16])
            content_start = pos + 16
        elif size == 0:  # to the end
            size = end - pos
        if size < content_start - pos or pos + size > end:
            return None
        boxes.append((box_type, pos, content_start, pos + size))
        pos += size
    return boxes


def is_mp4(data):
    """True if `data` is a list of well-formed boxes that starts with an "ftyp"
    of an accepted brand and has a "moov" and an "mdat"."""
    boxes = read_boxes(data, 0, len(data))
    if not boxes:
        return False
    first_type, _, content_start, box_end = boxes[0]
    # ftyp's content: the major brand (4 letters), then a version number (4 bytes).
    if first_type != b"ftyp" or box_end - content_start < 8:
        return False
    major_brand = data[content_start : content_start + 4]
    if major_brand.decode("latin-1") not in MP4_BRANDS:
        return False
    types = [box[0] for box in boxes]
    # moov describes every track; mdat holds the frames and the sound; the
    # boxes inside moov must be well formed too (they are blanked below).
    return b"moov" in types and b"mdat" in types and all_boxes(data) is not None


def all_boxes(data):
    """Every box of the file: those at the top, and those inside each container
    box (CONTAINER_BOXES), read in turn; or None if any of them is broken or
    does not fill its container exactly, if a box at the top is not one of
    TOP_LEVEL_BOXES, or if boxes are nested deeper than MAX_BOX_DEPTH.

    A list of boxes still to read, rather than a function calling itself for
    each level: how deep a file's boxes go is for the file to say, not for Python's stack.
    """
    top = read_boxes(data, 0, len(data))
    if top is None or any(box[0] not in TOP_LEVEL_BOXES for box in top):
        return None
    found = []
    to_read = [(box, 1) for box in top]  # (box, how deep it is)
    while to_read:
        box, depth = to_read.pop()
        found.append(box)
        if box[0] in CONTAINER_BOXES:
            children = read_boxes(data, box[2], box[3])
            if children is None or (children and depth == MAX_BOX_DEPTH):
                return None
            to_read.extend((child, depth + 1) for child in children)
    return found


def blank_mp4_metadata(data):
    """`data` with every metadata box (METADATA_BOXES: "udta", "meta"... inside
    "moov", each "trak", or anywhere else) turned into a "free" box of the same
    size, its content zeroed.

    Why not remove them? The "stco" and "co64" tables in moov give where each
    piece of video is as a byte offset from the start of the file: removing a
    box would move every byte after it, and the offsets would point at the
    wrong bytes. "free" is the format's own "nothing here, skip me": every
    offset stays right, the video plays as before, and the location is gone.
    (is_mp4 has already checked that all these boxes are well formed.)
    """
    blanked = bytearray(data)
    for box in all_boxes(data):
        blank_if_metadata(blanked, box)
    return bytes(blanked)


def blank_if_metadata(blanked, box):
    """Turn `box` into a zeroed "free" box, in place, if it is a metadata box."""
    box_type, box_start, content_start, box_end = box
    if box_type in METADATA_BOXES:
        blanked[box_start + 4 : box_start + 8] = b"free"
        blanked[content_start:box_end] = bytes(box_end - content_start)
