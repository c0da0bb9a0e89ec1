"""Real image files, and hostile fakes, for the tests.

The images of steps 06-15 are built with the standard library (struct and
zlib) alone; from step 16 Pillow builds the camera-like photos and animations
(the hostile files are still made by hand: a library would refuse to write
them). Each valid image here has been checked to display in Chromium. The
*_SIZE constants give each image's (width, height).
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


# --- Step 16: files that only a real decoder tells apart ----------------------------
#
# Pillow builds the camera-like photos and the animation (it is a dependency
# from step 16 on, see pyproject.toml); the hostile files are still made by
# hand, because what makes them hostile is exactly the bytes a library would
# refuse to write.

BOMB_SIZE = (60000, 60000)  # the default size of png_bomb() and gif_bomb()
PHOTO_SIZE = (60, 40)  # jpeg_with_exif(): as stored by the camera, before its orientation
ANIMATION_DURATIONS = (100, 200, 300)  # ms per frame of animated_gif()
ANIMATION_SIZE = (8, 6)

# What a camera writes about its owner: where, with what and when the photo was taken.
CAMERA_SERIAL = "SN-0042-SECRET"
TAKEN_AT = "2019:07:14 21:04:00"
GPS_LATITUDE = (51.0, 28.0, 38.0)  # Greenwich
MP4_LOCATION = b"+51.4779-000.0015+046.000/"  # ISO 6709, as phones write it in a ©xyz box
MP4_TRACK_SECRET = b"Owner: Alice Example, phone serial 1234567890"


def _pillow_bytes(image, format, **options):
    import io

    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


def jpeg_with_exif(width: int = PHOTO_SIZE[0], height: int = PHOTO_SIZE[1], orientation: int = 6) -> bytes:
    """A camera-like JPEG: its left half red, its right half blue, with EXIF that
    gives away a GPS position, the camera's serial number and the date, and the
    orientation tag (6: "turn 90° clockwise to show it upright", as a phone held
    upright writes it). Shown upright, the red half is on top.
    """
    from PIL import ExifTags, Image

    image = Image.new("RGB", (width, height), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, width // 2, height))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.DateTime] = TAKEN_AT
    exif[ExifTags.Base.Make] = "Example Camera Co."
    details = exif.get_ifd(ExifTags.IFD.Exif)
    details[ExifTags.Base.BodySerialNumber] = CAMERA_SERIAL
    details[ExifTags.Base.DateTimeOriginal] = TAKEN_AT
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (0.0, 0.0, 5.0)
    return _pillow_bytes(image, "JPEG", exif=exif, quality=95, subsampling=0)


HUGE_EXIF_TEXT = "HUGE-EXIF-" * 6000  # 60,000 characters: nearly all a JPEG segment can hold


def jpeg_with_huge_exif() -> bytes:
    """A valid 3x2 JPEG whose EXIF block (one APP1 segment) is about 60 KB of description."""
    from PIL import ExifTags, Image

    exif = Image.Exif()
    exif[ExifTags.Base.ImageDescription] = HUGE_EXIF_TEXT
    return _pillow_bytes(Image.new("RGB", JPEG_SIZE, (200, 200, 200)), "JPEG", exif=exif)


def png_bomb(width: int = BOMB_SIZE[0], height: int = BOMB_SIZE[1]) -> bytes:
    """A decompression bomb: a well-formed PNG (every chunk and CRC right) whose
    header claims width x height pixels (3.6 billion by default, about 10 GB once
    decoded) with a few bytes of pixel data. A header check alone accepts it."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(bytes(64)))
        + _png_chunk(b"IEND", b"")
    )


def gif_bomb(width: int = BOMB_SIZE[0], height: int = BOMB_SIZE[1]) -> bytes:
    """A well-formed GIF whose logical screen is width x height, holding one 1x1
    frame: a decoder makes a canvas of the screen's size."""
    screen = struct.pack("<HHBBB", width, height, 0x80, 0, 0)  # 2-colour table
    colours = bytes([37, 99, 235, 255, 255, 255])
    descriptor = b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0)
    codes = [4, 0, 5]  # clear, colour 0, end (3-bit codes)
    bits = sum(code << (3 * i) for i, code in enumerate(codes))
    lzw = bits.to_bytes(2, "little")
    pixels = b"\x02" + bytes([len(lzw)]) + lzw + b"\x00"
    return b"GIF89a" + screen + colours + descriptor + pixels + b"\x3b"


def png_partly_decodable(width: int = 64, height: int = 64) -> bytes:
    """A PNG whose structure is perfect (IHDR, IDAT, IEND, every CRC right) but whose
    compressed pixel data stops after half of the rows: only decoding finds out."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + bytes([n % 256, 99, 235]) * width for n in range(height))
    compressed = zlib.compress(rows, 0)  # stored blocks: cutting them leaves a readable half
    return (
        PNG_SIGNATURE
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", compressed[: len(compressed) // 2])
        + _png_chunk(b"IEND", b"")
    )


def png_with_corrupt_pixels(width: int = 16, height: int = 16) -> bytes:
    """A PNG with a perfect structure whose pixel data is not zlib at all."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", b"\x78\x9c" + b"\xff" * 40)
        + _png_chunk(b"IEND", b"")
    )


PNG_TEXT = b"Author\x00Alice Example, 12 Sky Lane"


def png_with_text() -> bytes:
    """A valid 4x3 PNG with a tEXt chunk (before its pixels) naming its author and address."""
    image = png()
    header_end = 8 + 25  # the signature, then the IHDR chunk (12 + 13 bytes)
    return image[:header_end] + _png_chunk(b"tEXt", PNG_TEXT) + image[header_end:]


POLYGLOT_HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


def gif_html_polyglot() -> bytes:
    """A valid GIF with an HTML page after its trailer: an image to an image viewer,
    a page with a script to a browser that sniffs it as HTML."""
    return gif() + POLYGLOT_HTML


def animated_gif(
    size: tuple[int, int] = ANIMATION_SIZE, durations: tuple[int, ...] = ANIMATION_DURATIONS
) -> bytes:
    """An animated GIF that loops for ever: one frame per duration (ms), red, green, blue, ..."""
    from PIL import Image

    colours = [(255, 0, 0), (0, 160, 0), (0, 0, 255), (255, 200, 0)]
    frames = [Image.new("RGB", size, colours[n % len(colours)]) for n in range(len(durations))]
    return _pillow_bytes(
        frames[0], "GIF", save_all=True, append_images=frames[1:], duration=list(durations), loop=0
    )


def picture(width: int, height: int, format: str = "JPEG") -> bytes:
    """A picture of width x height in ``format`` (a Pillow format name: JPEG, PNG,
    GIF, WEBP): a grey gradient, which compresses about like a photo."""
    from PIL import Image

    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    return _pillow_bytes(image, format)


def noisy_photo(width: int = 1600, height: int = 1200) -> bytes:
    """A JPEG of about 2.2 MB whose bytes look random, as a real photo's do: every
    pixel is noise, so nothing compresses. (The padded images above are mostly
    zero bytes, which a form parser reads in a different way.)"""
    import random

    from PIL import Image

    noise = random.Random(2026).randbytes(width * height * 3)  # noqa: S311 - the same noise each run
    return _pillow_bytes(Image.frombytes("RGB", (width, height), noise), "JPEG", quality=95)


def gif_with_many_frames(frames: int) -> bytes:
    """A valid 1x1 GIF of `frames` frames, black and white in turn (15 bytes each):
    cheap to send, slow to decode once there are tens of thousands."""
    header = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    # An image block: its place and size, no colour table of its own, LZW code
    # size 2, then one sub-block of 2 bytes: the codes "clear", colour 0 or 1, "end".
    descriptor = b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02"
    black, white = descriptor + b"\x44\x01\x00", descriptor + b"\x4c\x01\x00"
    return header + loop + (black + white) * (frames // 2) + black * (frames % 2) + b"\x3b"


def jpeg_with_many_scans(scans: int, width: int = 8, height: int = 8) -> bytes:
    """A valid greyscale progressive JPEG of `scans` scans (passes over the picture),
    each one nearly empty: one Huffman code "end of band" says that the next
    32,767 blocks of 8 x 8 pixels have nothing in this pass. A decoder still
    visits every block in every scan, so a big picture with many scans is slow to
    decode: 6000 x 6000 takes ~3 ms a scan, in ~44 bytes. (The picture is grey:
    there is no DC scan, which decoders forgive.)"""
    blocks = ((width + 7) // 8) * ((height + 7) // 8)

    def segment(marker, payload):
        return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload

    # The AC Huffman table has one code, the bit 0, for 0xE0: an "end of band"
    # run of 2**14 + the next 14 bits (all 1s: 32,767) blocks.
    runs = -(-blocks // 32767)
    bits = ("0" + "1" * 14) * runs
    bits += "1" * (-len(bits) % 8)  # padded with 1s to whole bytes
    data = int(bits, 2).to_bytes(len(bits) // 8, "big").replace(b"\xff", b"\xff\x00")
    scan = segment(0xDA, b"\x01\x01\x00\x01\x3f\x00") + data  # component 1, coefficients 1-63
    return (
        b"\xff\xd8"
        + segment(0xDB, b"\x00" + b"\x01" * 64)  # quantisation table 0: all 1
        + segment(0xC2, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")  # progressive
        + segment(0xC4, b"\x10" + b"\x01" + b"\x00" * 15 + b"\xe0")  # the AC Huffman table
        + scan * scans
        + b"\xff\xd9"
    )


# --- Step 17: videos (WebM, MP4), made by hand ------------------------------------


def _ebml_size(size: int) -> bytes:
    """An EBML variable-length size: 1 byte below 127, else the 8-byte form."""
    if size < 0x7F:
        return bytes([0x80 | size])
    return b"\x01" + size.to_bytes(7, "big")


def _ebml(element_id: bytes, payload: bytes) -> bytes:
    return element_id + _ebml_size(len(payload)) + payload


def webm(doctype: bytes = b"webm", total_bytes: int | None = None) -> bytes:
    """A minimal WebM: the EBML header (DocType ``doctype``), then a Segment with an
    Info element, padded with a Void element to ``total_bytes`` if given."""
    header = _ebml(
        b"\x1a\x45\xdf\xa3",
        _ebml(b"\x42\x86", b"\x01")  # EBMLVersion 1
        + _ebml(b"\x42\xf7", b"\x01")  # EBMLReadVersion 1
        + _ebml(b"\x42\xf2", b"\x04")  # EBMLMaxIDLength 4
        + _ebml(b"\x42\xf3", b"\x08")  # EBMLMaxSizeLength 8
        + _ebml(b"\x42\x82", doctype)  # DocType
        + _ebml(b"\x42\x87", b"\x04")  # DocTypeVersion 4
        + _ebml(b"\x42\x85", b"\x02"),  # DocTypeReadVersion 2
    )
    info = _ebml(b"\x15\x49\xa9\x66", _ebml(b"\x2a\xd7\xb1", (1_000_000).to_bytes(3, "big")))
    segment_id = b"\x18\x53\x80\x67"
    if total_bytes is None:
        return header + segment_id + _ebml_size(len(info)) + info
    # header, segment id and 8-byte size, info, then a Void element (id EC, 8-byte size).
    padding = total_bytes - len(header) - 12 - len(info) - 9
    if padding < 0:
        raise ValueError(f"a WebM needs at least {total_bytes - padding} bytes")
    content = info + b"\xec\x01" + padding.to_bytes(7, "big") + bytes(padding)
    return header + segment_id + b"\x01" + len(content).to_bytes(7, "big") + content


def _box(box_type: bytes, payload: bytes) -> bytes:
    """One MP4 box: its 32-bit size (header included), its type, its payload."""
    return struct.pack(">I", 8 + len(payload)) + box_type + payload


def _private_box(box_type: bytes, payload: bytes, blanked: bool) -> bytes:
    """A udta or meta box, or, blanked, a free box of the same size full of zeros."""
    return _box(b"free", bytes(len(payload))) if blanked else _box(box_type, payload)


def mp4(
    brand: bytes = b"isom",
    total_bytes: int | None = None,
    blanked: bool = False,
    with_mdat: bool = True,
) -> bytes:
    """A minimal MP4 (ISO base media file): ftyp (major brand ``brand``), moov and mdat.

    The moov holds what a phone writes about where and by whom a video was made:
    a udta box with a ©xyz location, and in its one trak a meta box and another udta.
    ``blanked=True`` gives the file as it must be stored: each of those boxes
    turned into a ``free`` box of the same size with zeros inside, every other
    byte (and so every offset) unchanged. The mdat is padded to ``total_bytes``.
    """
    location = _box(b"\xa9xyz", struct.pack(">HH", len(MP4_LOCATION), 0x15C7) + MP4_LOCATION)
    track = _box(
        b"trak",
        _box(b"tkhd", bytes(84))
        + _private_box(b"meta", bytes(4) + _box(b"hdlr", bytes(25)) + MP4_TRACK_SECRET, blanked)
        + _private_box(b"udta", _box(b"\xa9cmt", MP4_TRACK_SECRET), blanked),
    )
    movie = _box(b"moov", _box(b"mvhd", bytes(100)) + track + _private_box(b"udta", location, blanked))
    file_type = _box(b"ftyp", brand + struct.pack(">I", 0x200) + b"isomiso2avc1mp41")
    start = file_type + movie
    if not with_mdat:
        return start
    frames = b"\x00\x00\x00\x10" + b"not a real frame"
    if total_bytes is not None:
        if total_bytes < len(start) + 8 + len(frames):
            raise ValueError("too small for an MP4")
        frames += bytes(total_bytes - len(start) - 8 - len(frames))
    return start + _box(b"mdat", frames)


def mp4_truncated() -> bytes:
    """An MP4 cut short: its last box (mdat) says it is longer than what is left."""
    return mp4()[:-6]


def video_with_wrong_signature() -> bytes:
    """Neither WebM nor MP4: an AVI (RIFF) header, as someone might rename to .webm or .mp4."""
    return b"RIFF" + struct.pack("<I", 200) + b"AVI LIST" + bytes(200)


# --- Issue 18: small hostile files that once gave a 500, and bytes that once stayed ---


def gif_frame_larger_than_its_screen(width: int = 65535, height: int = 65535) -> bytes:
    """A 34-byte GIF: a 1x1 screen whose one frame claims width x height pixels
    (4.3 billion by default). Pillow's GIF reader raises its bomb error for the
    frame as it reads the header, before anyone can ask for the size."""
    screen = struct.pack("<HHBBB", 1, 1, 0x80, 0, 0)  # 1x1, a 2-colour table
    colours = bytes([37, 99, 235, 255, 255, 255])
    descriptor = b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0)
    pixels = b"\x02\x01\x44\x00"  # code size 2, one sub-block of one byte, then the end
    return b"GIF89a" + screen + colours + descriptor + pixels + b"\x3b"


def webp_canvas_bomb(width: int = 16383, height: int = 16383) -> bytes:
    """webp_extended() (82 bytes) with its VP8X canvas made width x height (268
    megapixels by default): Pillow's WebP reader raises its bomb error for the
    canvas as it reads the header."""
    data = bytearray(webp_extended())
    data[24:27] = (width - 1).to_bytes(3, "little")
    data[27:30] = (height - 1).to_bytes(3, "little")
    return bytes(data)


def gif_with_colours_only_in_its_second_frame() -> bytes:
    """A 72-byte animated GIF (3x2, two frames) with no global colour table: the
    first frame has no colours at all, the second a local table. It decodes, but
    Pillow's GIF encoder fails an assertion (AssertionError, not one of the
    errors a broken file usually raises) when it writes the animation again.
    Found by mutating animated_gif() until an upload gave a 500 (Pillow 13.0)."""
    screen = struct.pack("<HHBBB", 3, 2, 0, 0, 0)  # no global colour table
    codes = [4, 0] * 6 + [5]  # as in gif(): clear, colour 0 for each pixel, then end
    bits = sum(code << (3 * i) for i, code in enumerate(codes))
    lzw = bits.to_bytes((3 * len(codes) + 7) // 8, "little")
    pixels = b"\x02" + bytes([len(lzw)]) + lzw + b"\x00"
    control = b"\x21\xf9\x04\x00\x0a\x00\x00\x00"  # 100 ms
    first = control + b"\x2c" + struct.pack("<HHHHB", 0, 0, 3, 2, 0) + pixels
    local_table = bytes([37, 99, 235, 255, 255, 255])
    second = control + b"\x2c" + struct.pack("<HHHHB", 0, 0, 3, 2, 0x80) + local_table + pixels
    return b"GIF89a" + screen + first + second + b"\x3b"


def mp4_of_nested_traks(depth: int = 2000) -> bytes:
    """An MP4 whose moov holds a trak inside a trak inside a trak... `depth` deep
    (2,000 by default: 16 KB). A checker that calls itself for each level runs
    out of Python's stack (RecursionError)."""
    track = _box(b"tkhd", bytes(84))
    for _ in range(depth):
        track = _box(b"trak", track)
    file_type = _box(b"ftyp", b"isom" + struct.pack(">I", 0x200) + b"isomiso2avc1mp41")
    return file_type + _box(b"moov", _box(b"mvhd", bytes(100)) + track) + _box(b"mdat", bytes(16))


def mp4_with_html_box_at_the_top() -> bytes:
    """mp4() followed by a well-formed box of a type no MP4 has ("html") holding an HTML page."""
    return mp4() + _box(b"html", POLYGLOT_HTML)


def mp4_with_html_left_in_mdia() -> bytes:
    """An MP4 whose track has its media box (mdia: mdhd, hdlr), then an HTML page
    in the mdia after its last box: bytes that are no box at all."""
    media = _box(b"mdia", _box(b"mdhd", bytes(24)) + _box(b"hdlr", bytes(25)) + POLYGLOT_HTML)
    track = _box(b"trak", _box(b"tkhd", bytes(84)) + media)
    file_type = _box(b"ftyp", b"isom" + struct.pack(">I", 0x200) + b"isomiso2avc1mp41")
    return file_type + _box(b"moov", _box(b"mvhd", bytes(100)) + track) + _box(b"mdat", bytes(16))


EBML_UNKNOWN_SIZE = b"\x01\xff\xff\xff\xff\xff\xff\xff"  # an 8-byte size, every value bit set


def webm_recording(clusters: int = 2) -> bytes:
    """A WebM as browsers' MediaRecorder writes it while it records: a Segment of
    unknown size, its Info, then `clusters` Clusters of unknown size, each a
    Timestamp and a SimpleBlock. Each Cluster ends where the next one starts."""
    head = webm()
    segment = head.index(b"\x18\x53\x80\x67")
    content = head[segment + 5 :]  # after webm()'s one-byte Segment size: the Info
    cluster = b"\x1f\x43\xb6\x75" + EBML_UNKNOWN_SIZE
    cluster += _ebml(b"\xe7", b"\x00")  # Timestamp 0
    cluster += _ebml(b"\xa3", b"\x81\x00\x00\x80" + b"frame")  # SimpleBlock: track 1, time 0, key frame
    return head[:segment] + b"\x18\x53\x80\x67" + EBML_UNKNOWN_SIZE + content + cluster * clusters


def webm_recording_with_html_after() -> bytes:
    """webm_recording() with an HTML page after its last Cluster: a Segment and a
    Cluster of unknown size run to the end of the file, so the page is inside both."""
    return webm_recording() + POLYGLOT_HTML


def webm_with_html_after() -> bytes:
    """webm(), whose Segment has a known size, with an HTML page after it."""
    return webm() + POLYGLOT_HTML


# An ICC colour profile is the sender's bytes, stored inside the image: here, HTML.
PROFILE_HTML = b"<html><body><script>alert(document.cookie)</script></body></html>" * 60  # 4 KB


def srgb_profile() -> bytes:
    """The sRGB colour profile of LittleCMS (Pillow's ImageCms): a real one, 588 bytes."""
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def profile_with_html() -> bytes:
    """srgb_profile() with 4 KB of HTML after its last tag, and the header's size
    made to count it: a profile that reads and works, carrying a page along."""
    profile = srgb_profile() + PROFILE_HTML
    return struct.pack(">I", len(profile)) + profile[4:]


def profile_red_blue_swapped() -> bytes:
    """srgb_profile() with its red and blue primaries (the rXYZ and bXYZ tags)
    swapped: the pixel (255, 0, 0) in an image with this profile is sRGB's blue.
    A profile that changes colours, to see that they are converted."""
    profile = bytearray(srgb_profile())
    count = struct.unpack(">I", profile[128:132])[0]
    entries = {bytes(profile[132 + 12 * n : 136 + 12 * n]): 132 + 12 * n for n in range(count)}
    red, blue = entries[b"rXYZ"] + 4, entries[b"bXYZ"] + 4  # each entry: signature, offset, size
    profile[red : red + 8], profile[blue : blue + 8] = profile[blue : blue + 8], profile[red : red + 8]
    return bytes(profile)


def with_profile(format: str, profile: bytes, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """An 8x8 image in `format` (JPEG, WEBP, PNG), every pixel `rgb`, with the ICC
    colour profile `profile`. WebP is lossless, so that only the profile can change its colours."""
    from PIL import Image

    options = {"lossless": True} if format == "WEBP" else {"quality": 95} if format == "JPEG" else {}
    return _pillow_bytes(Image.new("RGB", (8, 8), rgb), format, icc_profile=profile, **options)
