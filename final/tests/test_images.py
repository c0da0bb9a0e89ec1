"""Unit tests for chatsite.images: uploads are judged by their bytes."""

import random
import struct

import imagefactory
import pytest

from chatsite import images

VALID_IMAGES = {
    "png": (imagefactory.png, ("png", *imagefactory.PNG_SIZE)),
    "jpeg": (imagefactory.jpeg, ("jpeg", *imagefactory.JPEG_SIZE)),
    "gif": (imagefactory.gif, ("gif", *imagefactory.GIF_SIZE)),
    "webp": (imagefactory.webp, ("webp", *imagefactory.WEBP_SIZE)),
    "webp_lossy": (imagefactory.webp_lossy, ("webp", *imagefactory.WEBP_SIZE)),
    "webp_extended": (imagefactory.webp_extended, ("webp", *imagefactory.WEBP_SIZE)),
}

HOSTILE_SAMPLES = [
    imagefactory.truncated_png,
    imagefactory.magic_only_png,
    imagefactory.svg_with_script,
    imagefactory.html_page,
    imagefactory.gif_header_with_script,
]


# --- valid images -----------------------------------------------------------


@pytest.mark.parametrize("name", VALID_IMAGES)
def test_valid_image_gives_kind_and_size(name):
    make, expected = VALID_IMAGES[name]
    assert images.inspect_image(make()) == expected


def test_png_size_comes_from_the_header():
    assert images.inspect_image(imagefactory.png(300, 200)) == ("png", 300, 200)


def test_png_with_script_after_iend_is_accepted():
    data = imagefactory.png_with_script_appended()
    assert images.inspect_image(data) == ("png", *imagefactory.PNG_SIZE)


def test_png_of_size_is_exact_and_accepted():
    data = imagefactory.png_of_size(5000)
    assert len(data) == 5000
    assert images.inspect_image(data) == ("png", *imagefactory.PNG_SIZE)


def test_png_of_size_refuses_a_size_too_small():
    with pytest.raises(ValueError):
        imagefactory.png_of_size(10)


def test_every_kind_has_a_content_type_and_extensions():
    assert set(images.IMAGE_TYPES) == {"png", "jpeg", "gif", "webp"}
    for kind, info in images.IMAGE_TYPES.items():
        assert info["content_type"] == f"image/{kind}"
        assert all(ext.startswith(".") for ext in info["extensions"])


# --- hostile and broken input -----------------------------------------------


@pytest.mark.parametrize("make", HOSTILE_SAMPLES, ids=lambda make: make.__name__)
def test_hostile_sample_is_refused(make):
    assert images.inspect_image(make()) is None


@pytest.mark.parametrize(
    "data",
    [b"", b"hello, world", b"\x89PNG", b"\xff\xd8", b"GIF89a", b"RIFF", b"RIFF\0\0\0\0WEBP"],
)
def test_junk_and_bare_magic_bytes_are_refused(data):
    assert images.inspect_image(data) is None


@pytest.mark.parametrize("name", VALID_IMAGES)
def test_every_truncation_is_refused(name):
    data = VALID_IMAGES[name][0]()
    for length in range(len(data)):
        assert images.inspect_image(data[:length]) is None, f"accepted {length} bytes"


# --- PNG details ------------------------------------------------------------


def _chunk(chunk_type, data):
    return imagefactory._png_chunk(chunk_type, data)


def test_png_must_start_with_ihdr():
    iend = _chunk(b"IEND", b"")
    assert images.inspect_image(imagefactory.PNG_SIGNATURE + iend) is None


def test_png_ihdr_must_be_13_bytes():
    data = imagefactory.PNG_SIGNATURE + _chunk(b"IHDR", bytes(8)) + _chunk(b"IEND", b"")
    assert images.inspect_image(data) is None


@pytest.mark.parametrize("width, height", [(0, 3), (4, 0)])
def test_png_with_zero_size_is_refused(width, height):
    assert images.inspect_image(imagefactory.png(width, height)) is None


def test_png_chunk_longer_than_the_file_is_refused():
    data = bytearray(imagefactory.png())
    data[8:12] = struct.pack(">I", 1_000_000)  # IHDR claims a huge length
    assert images.inspect_image(bytes(data)) is None


# --- JPEG details -----------------------------------------------------------


def _jpeg_parts():
    """The factory JPEG split into (SOI, everything from the first segment on)."""
    data = imagefactory.jpeg()
    return data[:2], data[2:]


def test_jpeg_with_fill_bytes_and_standalone_markers_is_accepted():
    soi, rest = _jpeg_parts()
    data = soi + b"\xff\xff\xff" + b"\xff\xd0" + b"\xff\x01" + rest
    assert images.inspect_image(data) == ("jpeg", *imagefactory.JPEG_SIZE)


def test_jpeg_size_is_width_then_height():
    data = bytearray(imagefactory.jpeg())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 200, 300)  # height 200, width 300
    assert images.inspect_image(bytes(data)) == ("jpeg", 300, 200)


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xd8garbage",  # no marker after SOI
        b"\xff\xd8\xff\xff",  # only fill bytes
        b"\xff\xd8\xff\xd9",  # EOI before any frame
        b"\xff\xd8\xff\xd8",  # a second SOI
        b"\xff\xd8\xff\xe0",  # no room for the length
        b"\xff\xd8\xff\xe0\x00\x01\xff\xd9",  # length too small
        b"\xff\xd8\xff\xe0\x01\x00\xff\xd9",  # segment longer than the file
        b"\xff\xd8\xff\xc0\x00\x05\x08\x00\x01\xff\xd9",  # frame header too short
        b"\xff\xd8\xff\xc4\x00\x07\x08\x00\x01\x00\x01\xff\xd9",  # DHT is not a frame
    ],
)
def test_broken_jpeg_is_refused(data):
    assert images.inspect_image(data) is None


@pytest.mark.parametrize("height, width", [(0, 3), (2, 0)])
def test_jpeg_with_zero_size_is_refused(height, width):
    frame = b"\xff\xc0\x00\x0b\x08" + struct.pack(">HH", height, width) + b"\x01\x01\x11\x00"
    assert images.inspect_image(b"\xff\xd8" + frame + b"\xff\xd9") is None


def test_jpeg_without_eoi_is_refused():
    data = imagefactory.jpeg()
    assert images.inspect_image(data[:-2] + b"\x00\x00") is None


# --- GIF details ------------------------------------------------------------


def _gif_screen(width=3, height=2, flags=0):
    return b"GIF89a" + struct.pack("<HHBBB", width, height, flags, 0, 0)


def test_gif87a_without_colour_tables_is_accepted():
    frame = b"\x2c" + struct.pack("<HHHHB", 0, 0, 3, 2, 0) + b"\x02\x01\x00\x00"
    data = _gif_screen().replace(b"89a", b"87a") + frame + b"\x3b"
    assert images.inspect_image(data) == ("gif", 3, 2)


def test_gif_with_local_colour_table_is_accepted():
    local_table = bytes(6)
    frame = b"\x2c" + struct.pack("<HHHHB", 0, 0, 3, 2, 0x80) + local_table
    data = _gif_screen() + frame + b"\x02\x01\x00\x00" + b"\x3b"
    assert images.inspect_image(data) == ("gif", 3, 2)


@pytest.mark.parametrize(
    "data",
    [
        b"GIF89a\x03\x00\x02\x00",  # screen descriptor cut short
        _gif_screen(width=0) + b"\x3b",
        _gif_screen(height=0) + b"\x3b",
        _gif_screen() + b"\x3b",  # a trailer but no picture
        _gif_screen() + b"\x2c\x00\x00",  # image descriptor cut short
        _gif_screen() + b"\x21\xf9\x04\x00\x00",  # extension cut short
        _gif_screen() + b"\x21\xf9\x04\x00\x00\x00\x00\x00",  # ends after a block
        _gif_screen() + b"\x00\x3b",  # an unknown block
    ],
)
def test_broken_gif_is_refused(data):
    assert images.inspect_image(data) is None


# --- WebP details -----------------------------------------------------------


def _webp(chunk_type, body):
    """A RIFF/WEBP file with one chunk."""
    chunk = chunk_type + struct.pack("<I", len(body)) + body
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def test_webp_lossy_size_ignores_the_scale_bits():
    body = b"\x30\x01\x00\x9d\x01\x2a" + struct.pack("<HH", 300 | 0x4000, 200 | 0x8000)
    assert images.inspect_image(_webp(b"VP8 ", body)) == ("webp", 300, 200)


def test_webp_lossless_size_is_packed_in_14_bits():
    bits = (300 - 1) | ((200 - 1) << 14)
    body = b"\x2f" + bits.to_bytes(4, "little") + bytes(5)
    assert images.inspect_image(_webp(b"VP8L", body)) == ("webp", 300, 200)


def test_webp_extended_size_is_the_canvas():
    body = bytes(4) + (300 - 1).to_bytes(3, "little") + (200 - 1).to_bytes(3, "little")
    assert images.inspect_image(_webp(b"VP8X", body)) == ("webp", 300, 200)


@pytest.mark.parametrize(
    "data",
    [
        _webp(b"VP8 ", b"\x30\x01\x00\x9d\x01\x2a" + struct.pack("<HH", 0, 1)),  # width 0
        _webp(b"VP8 ", b"\x30\x01\x00\x9d\x01\x2a" + struct.pack("<HH", 1, 0)),  # height 0
        _webp(b"VP8 ", b"\x30\x01\x00" + b"bad" + struct.pack("<HH", 1, 1)),  # no start code
        _webp(b"VP8L", b"\x00" + bytes(9)),  # no lossless signature
        _webp(b"VP8L", b"\x2f" + bytes(4)),  # chunk too small
        _webp(b"ALPH", bytes(10)),  # unknown first chunk
        _webp(b"VP8X", bytes(10))[:-1],  # RIFF size larger than the file
        _webp(b"VP8X", bytes(10)).replace(b"\x0a\x00\x00\x00", b"\x0c\x00\x00\x00"),
    ],
)
def test_broken_webp_is_refused(data):
    assert images.inspect_image(data) is None


# --- never raises -----------------------------------------------------------


def test_fuzz_never_raises():
    rng = random.Random(1)  # noqa: S311 - test data, not security
    starts = [
        b"",
        imagefactory.PNG_SIGNATURE,
        imagefactory.PNG_SIGNATURE + b"\x00\x00\x00\x0dIHDR",
        b"\xff\xd8",
        b"\xff\xd8\xff",
        b"GIF87a",
        b"GIF89a",
        b"RIFF",
        b"RIFF\xff\x00\x00\x00WEBPVP8 ",
        b"RIFF\xff\x00\x00\x00WEBPVP8L",
        b"RIFF\xff\x00\x00\x00WEBPVP8X",
    ]
    valid = [make() for make, _ in VALID_IMAGES.values()]
    for i in range(2000):
        if i % 2:
            data = rng.choice(starts) + rng.randbytes(rng.randrange(0, 64))
        else:  # a real image with a few bytes changed
            data = bytearray(rng.choice(valid))
            for _ in range(rng.randrange(1, 4)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            data = bytes(data)
        result = images.inspect_image(data)
        if result is not None:
            kind, width, height = result
            assert kind in images.IMAGE_TYPES
            assert width > 0 and height > 0


# --- file names -------------------------------------------------------------


@pytest.mark.parametrize(
    "filename, kind",
    [
        ("photo.png", "png"),
        ("photo.JPG", "jpeg"),
        ("photo.jpeg", "jpeg"),
        ("cat.gif", "gif"),
        ("cat.webp", "webp"),
        ("x.png.exe", None),
        ("notes.txt", None),
        ("photo", None),
        ("..", None),
        ("", None),
        (".png", None),
    ],
)
def test_kind_for_filename(filename, kind):
    assert images.kind_for_filename(filename) == kind
