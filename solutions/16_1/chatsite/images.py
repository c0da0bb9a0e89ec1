"""Check uploaded images by decoding them with Pillow, and keep only their pixels.

Step 06 walked the structure of each file by hand: signature, chunks,
segments, blocks, up to the end. That was the right lesson (judge a file by
its content, never by its name; check every read against the end of the
data), and it is as far as a hand-written checker should go. But a header
is only a *claim*: "a PNG, 60000 x 60000, here come the pixels". Only
decoding the pixels proves they are there, and decoders (zlib, JPEG's
Huffman codes, LZW, VP8) are thousands of lines of careful C that nobody
should write again for a forum. Pillow has them, maintained and fuzzed.

inspect_image() does four jobs, in this order (after counting the frames
and JPEG scans from the bytes: see check_frames_and_scans), in a child
process held to a time and a memory limit (see inspect_image_in_child):

1. Pillow reads the header (format, size, frames). Nothing is decoded yet.
2. Our pixel caps, from that header: an image that is too large is refused
   *before* it is decoded (a "decompression bomb": a few hundred KB that
   would take gigabytes of memory once decoded).
3. Every frame is decoded. Anything Pillow cannot decode is refused.
4. The pixels are saved again by Pillow ("re-encoded"), upright and without
   EXIF, and a thumbnail is made. Only these new bytes are stored: no GPS
   position, no comment, no text chunk, nothing appended after the image.
   That is also the answer to "polyglots", files that are an image and
   something else (HTML, a script) at the same time.

Bad input gives ImageRefused, with a message for the uploader, never any
other exception.
"""

import json
import logging
import re
import subprocess
import sys
import warnings
from io import BytesIO

from PIL import GifImagePlugin, Image, ImageCms, ImageOps, JpegImagePlugin, PngImagePlugin, WebPImagePlugin

IMAGE_TYPES = {
    "png": {"content_type": "image/png", "extensions": (".png",), "pillow_format": "PNG"},
    "jpeg": {"content_type": "image/jpeg", "extensions": (".jpg", ".jpeg"), "pillow_format": "JPEG"},
    "gif": {"content_type": "image/gif", "extensions": (".gif",), "pillow_format": "GIF"},
    "webp": {"content_type": "image/webp", "extensions": (".webp",), "pillow_format": "WEBP"},
}

# The only decoders Pillow may use. It knows dozens of formats (TIFF, PSD,
# ICO, EPS, which calls Ghostscript...); each decoder is code an attacker can
# aim at. A file that is none of these four never reaches any other decoder.
PILLOW_FORMATS = [info["pillow_format"] for info in IMAGE_TYPES.values()]

# What Pillow may raise for a broken or hostile file: OSError for a broken
# stream ("image file is truncated"), SyntaxError for a broken header,
# ValueError, EOFError for a file cut short, and more from deep inside its
# readers and writers (struct.error: a record shorter than it should be; an
# AssertionError from its GIF encoder, for a GIF whose first frame has no
# colours). Any exception at all while Pillow reads or writes an upload is
# "not a complete image", never a 500.
PILLOW_ERRORS = (Exception,)

# Pillow's own limit on pixels: an image over it is a "decompression bomb".
BOMB_ERRORS = (Image.DecompressionBombError, Image.DecompressionBombWarning)

# What a stored file keeps of Pillow's notes about the image ("info"): only
# what the pixels need to look right. Everything else Pillow read from the
# file (EXIF, XMP, comments, PNG text chunks, the colour profile...) is
# dropped before saving, because some encoders copy those notes into the new file.
KEPT_INFO = ("transparency", "background")

# The colours of the web: a browser shows an image without a colour profile as sRGB.
SRGB = ImageCms.createProfile("sRGB")

# Quality of the re-encoded JPEG and WebP files (100 is best): 90 is hard to
# tell from the original. Thumbnails are small and many: 85 is plenty.
QUALITY = 90
THUMBNAIL_QUALITY = 85


class ImageRefused(Exception):
    """An upload that is not an image we accept; str(error) says why, for the uploader."""


def inspect_image(
    data,
    expected_kind,
    max_pixels,
    max_side,
    max_animation_pixels,
    thumbnail_size,
    max_frames,
    max_jpeg_scans,
):
    """Decode, check and re-encode an upload that should be an `expected_kind` image.

    Returns a dict: "kind", "data" (the bytes to store: re-encoded by Pillow),
    "width", "height" (after turning it upright), and "thumbnail"
    (JPEG bytes) with "thumbnail_width" and "thumbnail_height".
    Raises ImageRefused, with a message for the uploader, for anything else.
    """
    # Pillow's own bomb check only *warns* (DecompressionBombWarning) between
    # its limit and twice its limit, and then decodes anyway. Here the warning
    # is raised like an error, and refused like one. Our own caps below are
    # lower than Pillow's, so this is a second line: for settings raised past
    # Pillow's limit, or a GIF frame larger than the header said.
    # 0. Frames and JPEG scans, counted from the file's blocks (see below).
    check_frames_and_scans(data, max_frames, max_jpeg_scans)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            # 1. The header only: Image.open() reads no pixels.
            image = Image.open(BytesIO(data), formats=PILLOW_FORMATS)
            kind = kind_of_pillow_format(image.format)
            if kind != expected_kind:
                says = expected_kind.upper()
                raise ImageRefused(f"The file name says {says}, but it is a {kind.upper()} image.")
            loop = image.info.get("loop")  # how often an animation plays (0: for ever)
            # 2. Our caps, before decoding anything.
            check_pixel_caps(image.size, max_pixels, max_side)
            # A JPEG is one picture (see kind_of_pillow_format); GIF, WebP and
            # PNG may be animated. n_frames counts the frames from the file's
            # structure, without decoding them.
            frame_count = 1 if kind == "jpeg" else getattr(image, "n_frames", 1)
            check_animation_cap(image.size, frame_count, max_animation_pixels)
            # Every chunk of a PNG carries a checksum, and the file must end with
            # an IEND chunk: verify() checks them without decoding (for the other
            # formats it does nothing). Decoding alone would accept a PNG cut
            # short just after its last row of pixels. verify() uses up the
            # opened image, so it is opened again for decoding.
            image.verify()
            image = Image.open(BytesIO(data), formats=PILLOW_FORMATS)
            # 3. Decode every frame, turned upright.
            frames = decode_frames(image, frame_count, max_pixels, max_side)
            # 4. Only the pixels we decoded are stored, and a thumbnail of the first frame.
            stored = encode(frames, kind, loop)
            thumbnail = make_thumbnail(frames[0]["pixels"], thumbnail_size)
        except ImageRefused:
            raise  # our own refusals above keep their message
        except BOMB_ERRORS:
            # Over Pillow's own limit, which Image.open() checks before it
            # tells us the size: ask for the size alone, for the message.
            raise ImageRefused(too_many_pixels_message(size_in_header(data), max_pixels, max_side)) from None
        except PILLOW_ERRORS:
            raise ImageRefused("This file is not a complete PNG, JPEG, GIF or WebP image.") from None
    width, height = frames[0]["pixels"].size
    return {
        "kind": kind,
        "data": stored,
        "width": width,
        "height": height,
        "thumbnail": encode_jpeg(thumbnail, THUMBNAIL_QUALITY),
        "thumbnail_width": thumbnail.width,
        "thumbnail_height": thumbnail.height,
    }


def kind_of_pillow_format(pillow_format):
    """Our kind ("png", "jpeg"...) for Pillow's name of a format ("PNG", "JPEG"...)."""
    if pillow_format == "MPO":
        # "Multi-Picture": a JPEG with more pictures after the first one (a
        # depth map, the other eye of a 3D pair), as some cameras and phones
        # save their photos. It is a JPEG all the same; we keep the first picture.
        return "jpeg"
    for kind, info in IMAGE_TYPES.items():
        if info["pillow_format"] == pillow_format:
            return kind
    raise ValueError(f"not one of our formats: {pillow_format}")  # cannot happen: formats= above


def check_pixel_caps(size, max_pixels, max_side):
    """Refuse an image over max_pixels (width x height) or max_side on either side.

    The side limit catches what the pixel count does not: a strip of
    1 x 30,000,000 pixels is under 40 megapixels, and no page can show it.
    """
    return  # Exercise 16.1: our caps are switched off, on purpose. Put them back afterwards!
    width, height = size
    if width * height > max_pixels or max(width, height) > max_side:
        raise ImageRefused(too_many_pixels_message(size, max_pixels, max_side))


def too_many_pixels_message(size, max_pixels, max_side):
    """The message for an image over the caps, with its size if we know it."""
    limits = f"images can be at most {max_pixels / 1_000_000:g} megapixels and {max_side} pixels on a side."
    if size is None:
        return f"This image has too many pixels; {limits}"
    return f"This image is {size[0]} × {size[1]} pixels; {limits}"


def check_animation_cap(size, frame_count, max_animation_pixels):
    """Refuse an animation whose frames hold more than max_animation_pixels in all.

    Each frame of an animated GIF or WebP is decoded onto the whole canvas:
    a 1000 x 1000 GIF with 5000 tiny frames is 5 billion pixels to decode.
    The frame count comes from the file's structure, before decoding any frame.
    """
    width, height = size
    if frame_count > 1 and width * height * frame_count > max_animation_pixels:
        raise ImageRefused(
            f"This animation is {width} × {height} pixels × {frame_count} frames; animations can be at most "
            f"{max_animation_pixels / 1_000_000:g} megapixels in all."
        )


def decode_frames(image, frame_count, max_pixels, max_side):
    """Decode the first frame_count frames of `image`; return them as a list of dicts with
    "pixels" (a Pillow image, upright, with only KEPT_INFO), "duration" (ms)
    and "disposal" (what a GIF does with the frame before the next one).

    load() is where the decoding happens: a frame whose pixels are cut short
    or garbled raises here.
    """
    frames = []
    for index in range(frame_count):
        image.seek(index)  # (a GIF decodes each frame on top of the one before)
        # A GIF frame may stretch the canvas past the size in the header.
        check_pixel_caps(image.size, max_pixels, max_side)
        image.load()
        # exif_transpose turns the pixels the way the camera's Orientation tag
        # says (6: "turn 90 degrees clockwise to view"), in a copy of the frame.
        # The tag goes with the EXIF, so without this a phone's photo would be
        # stored sideways.
        upright = ImageOps.exif_transpose(image)
        upright.info = {key: value for key, value in image.info.items() if key in KEPT_INFO}
        upright = in_srgb(upright, image.info.get("icc_profile"))
        frames.append(
            {
                "pixels": upright,
                "duration": image.info.get("duration", 0),
                "disposal": getattr(image, "disposal_method", 0),
            }
        )
    return frames


def in_srgb(image, icc_profile):
    """`image` with its colours turned from its ICC colour profile into sRGB; `image`
    itself if it has no profile, or one that cannot be read or applied.

    A profile says how to read the pixels' numbers as colours (a camera's "Display
    P3" red is redder than sRGB's). Storing it would store kilobytes the sender
    chose, which may hold anything (HTML once); converting the pixels keeps the
    colours, and an image without a profile is sRGB to every browser. A broken
    profile is ignored, as browsers ignore it: the image looks as it did.
    """
    if not icc_profile or image.mode not in ("RGB", "RGBA", "CMYK", "L", "LA", "P", "PA", "1"):
        return image  # (16-bit greys would be cut to 8 bits: their profile is dropped all the same)
    # With alpha when the image has transparency; a CMYK photo goes to RGB through its profile.
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    mode = "RGBA" if has_alpha else "RGB"
    try:
        profile = ImageCms.ImageCmsProfile(BytesIO(icc_profile))
        source = image if image.mode in (mode, "CMYK") else image.convert(mode)
        converted = ImageCms.profileToProfile(source, profile, SRGB, outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image
    converted.info.pop("icc_profile", None)  # Pillow notes the sRGB profile there: not stored either
    return converted


def encode(frames, kind, loop):
    """Save the decoded frames again, in the format they came in.

    No exif= is passed to save(): Pillow writes EXIF only when handed some, so
    the GPS position, the camera's serial number and the date are gone. No
    colour profile either: the pixels are already sRGB (in_srgb).
    """
    first = frames[0]["pixels"]
    options = {"format": IMAGE_TYPES[kind]["pillow_format"]}
    if kind in ("jpeg", "webp"):
        options["quality"] = QUALITY
    if len(frames) > 1:
        # An animation: every frame, each with its own duration; the loop
        # count only if the file had one (none means "play once").
        options["save_all"] = True
        options["append_images"] = [frame["pixels"] for frame in frames[1:]]
        options["duration"] = [frame["duration"] for frame in frames]
        if loop is not None:
            options["loop"] = loop
        if kind == "gif":
            options["disposal"] = [frame["disposal"] for frame in frames]
    if kind == "jpeg" and first.mode not in ("L", "RGB", "CMYK"):
        first = first.convert("RGB")
    output = BytesIO()
    first.save(output, **options)
    return output.getvalue()


def make_thumbnail(image, thumbnail_size):
    """A copy of `image` at most thumbnail_size pixels on its longest side
    (never enlarged), in RGB, with any transparent parts on white."""
    has_transparency = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    thumbnail = image.convert("RGBA" if has_transparency else "RGB")
    # thumbnail() keeps the proportions, and never makes an image larger.
    thumbnail.thumbnail((thumbnail_size, thumbnail_size))
    if has_transparency:
        # JPEG has no transparency: lay the picture on a white background.
        background = Image.new("RGB", thumbnail.size, "white")
        background.paste(thumbnail, mask=thumbnail.getchannel("A"))
        thumbnail = background
    return thumbnail


def encode_jpeg(image, quality):
    """`image` as JPEG bytes (the thumbnails)."""
    output = BytesIO()
    image.save(output, format="JPEG", quality=quality)
    return output.getvalue()


# Pillow's reader of each format. Making one reads the file's header, as
# Image.open() does, but without Pillow's bomb check (size_in_header below).
HEADER_READERS = (
    PngImagePlugin.PngImageFile,
    JpegImagePlugin.JpegImageFile,
    GifImagePlugin.GifImageFile,
    WebPImagePlugin.WebPImageFile,
)


def size_in_header(data):
    """The (width, height) the file's header claims, or None. Only for the
    message: Image.open() refuses an image over twice Pillow's limit (about 179
    megapixels) before it tells anyone the size, so this asks Pillow's reader
    of each format in turn, which reads the header and decodes nothing."""
    for reader in HEADER_READERS:
        try:
            return reader(BytesIO(data)).size
        except (*PILLOW_ERRORS, *BOMB_ERRORS):
            continue
    return None


# --- Frames and scans, counted from the bytes before anything is decoded -------------
# Decoding time grows with the number of frames (GIF, WebP, PNG) and of JPEG
# "scans" (passes over the picture), not only with pixels: a 4 MB GIF of
# 110,000 frames of 1 x 1 pixel, or a JPEG of 62,300 nearly empty scans, is
# under every pixel cap and takes a server half a minute. So both are counted
# first, by walking the file's blocks as step 06 did (Pillow's n_frames would
# walk all 110,000 frames itself), and the walk stops once the cap is passed.


def check_frames_and_scans(data, max_frames, max_jpeg_scans):
    """Refuse an image with more than max_frames frames, or a JPEG with more than
    max_jpeg_scans scans. A broken file is left to the decoder to refuse."""
    if data.startswith(b"\xff\xd8\xff"):
        if count_jpeg_scans(data, max_jpeg_scans) > max_jpeg_scans:
            raise ImageRefused(
                f"This JPEG has more than {max_jpeg_scans} scans; JPEG images can have at most "
                f"{max_jpeg_scans} (a progressive photo has about 10)."
            )
        return
    if data[:6] in (b"GIF87a", b"GIF89a"):
        frames = count_gif_frames(data, max_frames)
    elif data.startswith(b"\x89PNG\r\n\x1a\n"):
        frames = count_png_frames(data)
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        frames = count_webp_frames(data, max_frames)
    else:
        return
    if frames > max_frames:
        raise ImageRefused(
            f"This animation has more than {max_frames} frames; animations can have at most "
            f"{max_frames} frames."
        )


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


def count_png_frames(data):
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


# --- Decoding in a child process ----------------------------------------------------
# Decoding is CPU work in C that nothing can interrupt: while one upload takes
# 30 s to decode, its server process (a gevent worker under gunicorn, as in the
# final app) answers nobody else. So inspect_image runs in a new Python
# process: this file run as a script, the upload on its stdin, the answer on
# its stdout. Waiting for it is like waiting for the network, so the server
# goes on answering; the child is killed when it takes too long, and the
# operating system holds it to its CPU time and memory besides. Starting
# Python and Pillow costs ~80 ms an upload: the price of that bound.

log = logging.getLogger(__name__)


def too_slow_message(seconds):
    return (
        f"This image took too long to decode (over {seconds:g} seconds); "
        "please send a smaller or simpler one."
    )


def inspect_image_in_child(data, options, seconds, memory):
    """inspect_image(data, **options) in a child process that may take at most
    `seconds` and `memory` bytes. Returns and raises what inspect_image does."""
    # -I ("isolated"): the child ignores PYTHON* environment variables and does
    # not put this file's folder first on its path (where our modules would
    # hide the standard library's of the same name). It finds Pillow all the same.
    command = [sys.executable, "-I", __file__, json.dumps(options), str(seconds), str(memory)]
    try:
        # S603: the command is ours; the upload only goes to the child's stdin.
        child = subprocess.run(command, input=data, capture_output=True, timeout=seconds, check=False)  # noqa: S603
    except subprocess.TimeoutExpired:  # (run() has killed the child)
        raise ImageRefused(too_slow_message(seconds)) from None
    if child.returncode != 0:
        # Killed by its CPU limit, or a crash: the file is refused either way.
        log.warning("Decoding an image failed (exit status %s): %s", child.returncode, child.stderr[-500:])
        out_of_time = child.returncode == -24  # SIGXCPU: its CPU time ran out
        raise ImageRefused(too_slow_message(seconds) if out_of_time else NOT_AN_IMAGE)
    return read_answer(child.stdout)


NOT_AN_IMAGE = "This file is not a complete PNG, JPEG, GIF or WebP image."


def read_answer(output):
    """The child's answer: one line of JSON, then the bytes of the stored file and
    the thumbnail ("lengths" says how many of each). Not pickle: the child has
    handled hostile bytes, and unpickling can run code, so the parent reads
    nothing but numbers, text and bytes."""
    line, _, rest = output.partition(b"\n")
    try:
        found = json.loads(line)
        refusal = found.get("refused")
        if refusal is None:
            for key, length in found.pop("lengths").items():
                found[key], rest = rest[:length], rest[length:]
            return found
    except (ValueError, TypeError, KeyError, AttributeError):  # not an answer at all
        refusal = NOT_AN_IMAGE
    raise ImageRefused(refusal)


def child_main():
    """python images.py OPTIONS SECONDS MEMORY < upload > answer (see inspect_image_in_child)."""
    options = json.loads(sys.argv[1])
    seconds, memory = float(sys.argv[2]), int(sys.argv[3])
    try:
        import resource  # (Unix only: elsewhere, the parent's timeout alone holds)

        # A second line behind the parent's timeout, should the parent die first.
        cpu_seconds = int(seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    except ImportError:
        pass
    try:
        found = inspect_image(sys.stdin.buffer.read(), **options)
    except ImageRefused as refused:
        answer, files = {"refused": str(refused)}, b""
    else:
        answer = {key: value for key, value in found.items() if not isinstance(value, bytes)}
        answer["lengths"] = {key: len(value) for key, value in found.items() if isinstance(value, bytes)}
        files = b"".join(value for value in found.values() if isinstance(value, bytes))
    sys.stdout.buffer.write(json.dumps(answer).encode() + b"\n" + files)


if __name__ == "__main__":
    child_main()
