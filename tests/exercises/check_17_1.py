"""Exercise 17.1 · How long is the video?

An MP4's file line gains its length, read from the "mvhd" box (the movie
header) inside "moov": "(2 KiB, MP4 video, 1:05)". The check builds its MP4
files by hand: an ftyp box, a moov box holding only an mvhd, and an mdat box,
which is all that videos.py asks of an MP4. An MP4 that does not say how long
it is, and every WebM, keep the line they had.
"""

import struct

import imagefactory
from forum import BOARD, page, post_form
from helpers import alert_text

UNKNOWN_32 = 0xFFFFFFFF


def box(box_type, payload):
    """One MP4 box: its 32-bit size (header included), its type, its content."""
    return struct.pack(">I", 8 + len(payload)) + box_type + payload


def mvhd(timescale, duration, version=0):
    """A movie header: version and flags, the creation and modification times,
    the timescale (units a second), the duration (in those units), then the
    rest of the header (rate, volume, matrix...), zeros here."""
    if version == 0:
        times = struct.pack(">IIII", 3_800_000_000, 3_800_000_000, timescale, duration)
    else:
        times = struct.pack(">QQIQ", 3_800_000_000, 3_800_000_000, timescale, duration)
    return box(b"mvhd", bytes([version, 0, 0, 0]) + times + bytes(80))


def mp4_with(header):
    """A minimal MP4 whose moov holds ``header`` (an mvhd box, or any bytes)."""
    file_type = box(b"ftyp", b"isom" + struct.pack(">I", 0x200) + b"isomiso2avc1mp41")
    return file_type + box(b"moov", header) + box(b"mdat", b"\x00\x00\x00\x10not a real frame")


def file_line(client, filename, data):
    """Post the file in a new thread; return the text of its post's file line
    (<p class="file-info">): "clip.mp4 (2 KiB, MP4 video, 1:05)"."""
    fields = {"title": "A clip", "body": "Watch this"}
    answer = post_form(client, f"/boards/{BOARD}", f"/boards/{BOARD}/threads", fields, (filename, data))
    assert answer.status_code == 303, f"{filename} was refused ({answer.status_code}: {alert_text(answer)!r})"
    lines = page(client.get(answer.headers["Location"])).find_all("p", class_="file-info")
    assert lines, "the post has no file line (<p class=\"file-info\">)"
    return " ".join(lines[0].text().split())


def test_an_mp4_shows_how_long_it_plays(client, note):
    """An MP4 whose mvhd says 65000 units of 1/1000 s shows "MP4 video, 1:05"; 25200 of 1/600 s, "0:42".

    Hint: in videos.py, find the mvhd box inside moov with read_boxes(). In a
    version 0 mvhd, the timescale and the duration are the two 32-bit numbers at
    12 and 16 bytes into its content: duration / timescale seconds. Keep it in a
    new column of the images table (duration REAL), and let file_details() in
    uploads.py add it: minutes, a colon, two digits of seconds.
    """
    line = file_line(client, "clip.mp4", mp4_with(mvhd(1000, 65_000)))
    assert line.endswith("MP4 video, 1:05)"), f"the file line of a 65-second MP4 says {line!r}"
    other = file_line(client, "quicktime.mp4", mp4_with(mvhd(600, 25_200)))
    assert other.endswith("MP4 video, 0:42)"), f"the file line of a 42-second MP4 (600/s) says {other!r}"
    note(f"the file lines: {line}; {other}")


def test_a_long_mp4_with_a_version_1_mvhd_shows_hours(client):
    """An MP4 with a version 1 mvhd (64-bit times) of 1 h 2 min 3 s shows "MP4 video, 1:02:03".

    Hint: the mvhd's first byte is its version. In version 1, the creation and
    modification times take 8 bytes each: the timescale (4 bytes) is at 20
    bytes into the content and the duration (8 bytes) at 24. From an hour on,
    write hours:minutes:seconds.
    """
    line = file_line(client, "film.mp4", mp4_with(mvhd(90_000, 3723 * 90_000, version=1)))
    assert line.endswith("MP4 video, 1:02:03)"), f"the file line of an MP4 of 1 h 2 min 3 s says {line!r}"


def test_still_an_mp4_that_does_not_say_is_accepted_without_a_length(client):
    """MP4s whose mvhd gives no length (timescale 0, unknown, cut short, version 7) are accepted, without one.

    Hint: each read in mp4_duration() must check the box's end first, and any
    doubt is None: no length shown, never an exception (a 500).
    """
    no_length = {
        "timescale 0": mp4_with(mvhd(0, 1000)),
        "duration unknown (all 1 bits)": mp4_with(mvhd(1000, UNKNOWN_32)),
        "an mvhd cut short": mp4_with(box(b"mvhd", bytes(12))),
        "an empty mvhd": mp4_with(box(b"mvhd", b"")),
        "an mvhd of version 7": mp4_with(mvhd(1000, 65_000)[:8] + b"\x07" + mvhd(1000, 65_000)[9:]),
        "imagefactory's MP4 (an mvhd of zeros)": imagefactory.mp4(),
    }
    for what, data in no_length.items():
        line = file_line(client, "clip.mp4", data)
        assert line.endswith("MP4 video)"), f"the file line of an MP4 with {what} says {line!r}"


def test_still_a_webm_shows_no_length(client):
    """A WebM still shows "WebM video" and nothing more.

    Hint: only MP4s are read for their length here.
    """
    line = file_line(client, "clip.webm", imagefactory.webm())
    assert line.endswith("WebM video)"), f"the file line of a WebM says {line!r}"
