"""Check uploaded images by decoding them with Pillow, then store only what we decoded.

An upload is judged by its *content*, never by its file name or the
Content-Type the browser sent: the uploader chooses both, so both can lie.
Reading a file's header is not enough either: a header can promise
60,000 x 60,000 pixels (3.6 billion, ~10 GB of memory once decoded: a
"decompression bomb") in a few hundred bytes, and a file whose header is
perfect can be cut short or garbage after it. So process_image:

0. counts the frames and JPEG scans from the bytes, and refuses more than
   MAX_IMAGE_FRAMES or MAX_JPEG_SCANS (check_frames_and_scans);
1. reads the size from the header only, and refuses an image over
   MAX_IMAGE_PIXELS or MAX_IMAGE_SIDE (or an animation over
   MAX_ANIMATION_PIXELS, all its frames together) before decoding anything;
2. opens it with Image.open(..., formats=[...]): only our four decoders,
   never any other of Pillow's (each one is code an attacker could aim at);
   Pillow's own DecompressionBombWarning is turned into an error, a second
   line behind our cap;
3. decodes every pixel of every frame: a file that does not fully decode is
   refused (never a 500);
4. re-encodes it: what is stored is only the pixels we decoded, with the
   photo's orientation applied. No EXIF (GPS position, camera serial,
   date), no comments or text chunks, nothing appended after the image (an
   HTML page glued to a GIF, a "polyglot", is simply not copied);
5. makes its thumbnail, a JPEG at most THUMBNAIL_SIZE pixels on a side.

The app runs all of it in a child process held to a time and a memory limit
(process_image_in_child, at the end). Any refusal is an ImageRefused, whose
message is shown to the person.
"""

import base64
import hashlib
import json
import logging
import os
import re
import subprocess
import sys
import warnings
from dataclasses import asdict, dataclass
from io import BytesIO

from PIL import (
    GifImagePlugin,
    Image,
    ImageCms,
    ImageOps,
    ImageSequence,
    JpegImagePlugin,
    PngImagePlugin,
    WebPImagePlugin,
)

IMAGE_TYPES = {
    "png": {"content_type": "image/png", "extensions": (".png",), "format": "PNG"},
    "jpeg": {"content_type": "image/jpeg", "extensions": (".jpg", ".jpeg"), "format": "JPEG"},
    "gif": {"content_type": "image/gif", "extensions": (".gif",), "format": "GIF"},
    "webp": {"content_type": "image/webp", "extensions": (".webp",), "format": "WEBP"},
}
# The only decoders Pillow may use on an upload.
PILLOW_FORMATS = [info["format"] for info in IMAGE_TYPES.values()]

# Pillow's reader of each kind: header_of uses it to read the size without
# decoding (Image.open does the same, then checks the size against Pillow's
# own limit, which would refuse a bomb before we could say how big it is).
HEADER_READERS = {
    "png": PngImagePlugin.PngImageFile,
    "jpeg": JpegImagePlugin.JpegImageFile,
    "gif": GifImagePlugin.GifImageFile,
    "webp": WebPImagePlugin.WebPImageFile,
}

# What a broken file raises somewhere inside Pillow: OSError, SyntaxError,
# ValueError, EOFError, struct.error... and from deeper inside, an
# AssertionError in its GIF encoder (a GIF whose first frame has no colours) or
# a DecompressionBombError from a reader (a WebP's canvas, a GIF frame larger
# than its screen). Any exception at all is the same answer for the person:
# this is not a complete image. Never a 500.
DECODING_ERRORS = (Exception,)

NOT_AN_IMAGE = "This file is not a complete PNG, JPEG, GIF or WebP image."

# How the stored files are encoded. JPEG and WebP lose a little at each
# encoding; 90 keeps photos sharp. Thumbnails are small: 85 is plenty.
QUALITY = 90
THUMBNAIL_QUALITY = 85

# The colours of the web: a browser shows an image without a colour profile as sRGB.
SRGB = ImageCms.createProfile("sRGB")


class ImageRefused(ValueError):
    """The upload is not an image we store; str(error) says why, for the person."""


@dataclass(frozen=True)
class Limits:
    """The settings process_image obeys (config.py: MAX_IMAGE_PIXELS and the others)."""

    max_pixels: int
    max_side: int
    max_animation_pixels: int
    thumbnail_size: int
    max_frames: int = 1000  # MAX_IMAGE_FRAMES
    max_jpeg_scans: int = 100  # MAX_JPEG_SCANS

    @classmethod
    def from_config(cls, config):
        return cls(
            config["MAX_IMAGE_PIXELS"],
            config["MAX_IMAGE_SIDE"],
            config["MAX_ANIMATION_PIXELS"],
            config["THUMBNAIL_SIZE"],
            config["MAX_IMAGE_FRAMES"],
            config["MAX_JPEG_SCANS"],
        )


@dataclass(frozen=True)
class ProcessedImage:
    """What process_image made of an upload: the bytes to store and their thumbnail."""

    kind: str
    data: bytes
    width: int
    height: int
    thumbnail: bytes
    thumbnail_width: int
    thumbnail_height: int


def kind_of(data: bytes) -> str | None:
    """The kind the first bytes ("magic numbers") claim, or None: a first guess,
    which says nothing about the rest of the file."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def header_of(data: bytes) -> tuple[str, int, int, int] | None:
    """(kind, width, height, frames) from the image's header, without decoding any
    pixels; None if the header is not one of our four kinds' or is broken."""
    kind = kind_of(data)
    if kind is None:
        return None
    try:
        with HEADER_READERS[kind](BytesIO(data)) as image:
            width, height = image.size
            return kind, width, height, getattr(image, "n_frames", 1)
    except DECODING_ERRORS:
        return None


def process_image(data: bytes, limits: Limits) -> ProcessedImage:
    """Check an upload by decoding all of it, and re-encode it; see the top of this file.
    Raises ImageRefused with the reason."""
    check_frames_and_scans(data, limits)
    header = header_of(data)
    if header is None:
        raise ImageRefused(NOT_AN_IMAGE)
    kind, width, height, frames = header
    if kind == "jpeg":
        # One picture. (A phone's "MPO" JPEG carries more, a depth map or a
        # second eye, after the first: only the first is kept.)
        frames = 1
    check_size(width, height, frames, limits)
    with warnings.catch_warnings():
        # Pillow only warns about an image over its own limit (Image.MAX_IMAGE_PIXELS),
        # up to twice that: here that is an error too.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            # Every chunk of a PNG carries a checksum, and the file must end with its
            # IEND chunk: verify() checks them without decoding (for the other
            # formats it does nothing). Decoding alone would accept a PNG cut
            # short just after its last row of pixels. It uses the image up.
            with Image.open(BytesIO(data), formats=[IMAGE_TYPES[kind]["format"]]) as image:
                image.verify()
            with Image.open(BytesIO(data), formats=[IMAGE_TYPES[kind]["format"]]) as image:
                return reencode(image, kind, frames, limits)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRefused(too_many_pixels(width, height, limits)) from None
        except DECODING_ERRORS:
            raise ImageRefused(NOT_AN_IMAGE) from None


def check_size(width, height, frames, limits):
    """Refuse an image too large to decode safely, from its header's numbers alone."""
    if width * height > limits.max_pixels or max(width, height) > limits.max_side:
        raise ImageRefused(too_many_pixels(width, height, limits))
    if frames > 1 and width * height * frames > limits.max_animation_pixels:
        raise ImageRefused(
            f"This animation is {width} × {height} pixels and {frames} frames; animations can be at most "
            f"{megapixels(limits.max_animation_pixels)} megapixels, all frames together."
        )


def too_many_pixels(width, height, limits):
    return (
        f"This image is {width} × {height} pixels; images can be at most "
        f"{megapixels(limits.max_pixels)} megapixels and {limits.max_side} pixels on a side."
    )


def megapixels(pixels):
    """40_000_000 is "40", 2_500_000 is "2.5"."""
    return f"{pixels / 1_000_000:g}"


def reencode(image, kind, frames, limits):
    """Decode every frame of an open image, then encode what was decoded again:
    the stored file (without metadata) and the thumbnail."""
    if frames > 1:
        # Decoded here one frame at a time (and again as they are written: save_all
        # reads them itself), so that a broken frame is refused before anything else.
        # Each frame's duration (and a GIF's disposal) is known once it is loaded.
        durations, disposals = [], []
        for frame in ImageSequence.Iterator(image):
            frame.load()
            durations.append(frame.info.get("duration", 0))
            disposals.append(getattr(frame, "disposal_method", 0))
        stored = encode_animation(image, kind, durations, disposals)
        image.seek(0)
        first_frame = image.copy()
    else:
        image.load()
        original_info = dict(image.info)
        # The camera's orientation tag applied to the pixels: the photo is upright
        # without it, so it can go with the rest of the EXIF data. In place: a
        # 12-megapixel photo is 36 MB of pixels, and one copy of them is enough.
        ImageOps.exif_transpose(image, in_place=True)
        first_frame = in_srgb(image, original_info.get("icc_profile"))
        stored = encode_still(first_frame, kind, original_info)
    width, height = first_frame.size
    # Last: it shrinks first_frame in place (no second full-size copy).
    thumbnail = make_thumbnail(first_frame, limits.thumbnail_size)
    return ProcessedImage(
        kind=kind,
        data=stored,
        width=width,
        height=height,
        thumbnail=thumbnail.getvalue(),
        thumbnail_width=thumbnail.width,
        thumbnail_height=thumbnail.height,
    )


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
        if image.mode == mode:
            ImageCms.profileToProfile(image, profile, SRGB, inPlace=True)  # no second copy of the pixels
            converted = image
        else:
            source = image if image.mode == "CMYK" else image.convert(mode)
            converted = ImageCms.profileToProfile(source, profile, SRGB, outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image
    converted.info.pop("icc_profile", None)  # Pillow notes the sRGB profile there: not stored either
    return converted


def encode_still(image, kind, original_info):
    """One picture, in its own format, with nothing of the original's metadata but
    which colour is transparent: no colour profile either (in_srgb made it sRGB)."""
    image.info = {key: original_info[key] for key in ("transparency",) if key in original_info}
    options = {}
    if kind in ("jpeg", "webp"):
        options["quality"] = QUALITY
    output = BytesIO()
    image.save(output, IMAGE_TYPES[kind]["format"], **options)
    return output.getvalue()


def encode_animation(image, kind, durations, disposals):
    """Every frame again, with each frame's duration, the loop count and (GIF) how
    each frame is cleared: the animation survives, its metadata does not."""
    image.seek(0)
    # icc_profile=None: the sender's colour profile is not copied (see in_srgb). The
    # frames are not converted: animations with a profile are rare, and each frame
    # converted would be one more copy of them all.
    options = {"save_all": True, "duration": durations, "icc_profile": None}
    if "loop" in image.info:
        options["loop"] = image.info["loop"]
    if kind == "gif":
        # comment=b"": an empty comment stops Pillow copying the original's.
        options.update(disposal=disposals, comment=b"")
    elif kind == "webp":
        options["quality"] = QUALITY
    output = BytesIO()
    image.save(output, IMAGE_TYPES[kind]["format"], **options)
    return output.getvalue()


class Thumbnail(BytesIO):
    """A thumbnail's JPEG bytes, and its size."""

    width = height = 0


def make_thumbnail(picture, size):
    """The picture at most `size` pixels on its longest side (never enlarged), as
    a JPEG. JPEG has no transparency: transparent parts are shown on white.
    The picture itself is shrunk: it is not needed at full size any more."""
    small = picture
    small.thumbnail((size, size))
    if small.mode in ("RGBA", "LA", "PA") or (small.mode == "P" and "transparency" in small.info):
        rgba = small.convert("RGBA")
        small = Image.new("RGB", rgba.size, "white")
        small.paste(rgba, mask=rgba.getchannel("A"))
    elif small.mode not in ("RGB", "L"):
        small = small.convert("RGB")
    output = Thumbnail()
    small.save(output, "JPEG", quality=THUMBNAIL_QUALITY)
    output.width, output.height = small.size
    return output


def kind_for_filename(filename: str) -> str | None:
    """Return the kind whose extensions include this name's extension, else None."""
    extension = os.path.splitext(filename)[1].lower()
    for kind, info in IMAGE_TYPES.items():
        if extension in info["extensions"]:
            return kind
    return None


def md5_base64(data: bytes) -> str:
    """The MD5 of the bytes as 4chan's API writes it: the 16-byte digest in base64
    (24 characters). Clients use it to recognise a file, not to secure anything."""
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode("ascii")


# --- Frames and scans, counted from the bytes before anything is decoded -------------
# Decoding time grows with the number of frames (GIF, WebP, PNG) and of JPEG
# "scans" (passes over the picture), not only with pixels: a 4 MB GIF of
# 110,000 frames of 1 x 1 pixel, or a JPEG of 62,300 nearly empty scans, is
# under every pixel cap and takes a worker half a minute. So both are counted
# first, by walking the file's blocks (Pillow's n_frames would walk all
# 110,000 frames itself), and the walk stops as soon as the cap is passed.


def check_frames_and_scans(data, limits):
    """Refuse an image with more than limits.max_frames frames, or a JPEG with more
    than limits.max_jpeg_scans scans. A broken file is left to the decoder."""
    kind = kind_of(data)
    if kind == "jpeg":
        if count_jpeg_scans(data, limits.max_jpeg_scans) > limits.max_jpeg_scans:
            raise ImageRefused(
                f"This JPEG has more than {limits.max_jpeg_scans} scans; JPEG images can have at most "
                f"{limits.max_jpeg_scans} (a progressive photo has about 10)."
            )
        return
    counters = {"gif": count_gif_frames, "png": count_png_frames, "webp": count_webp_frames}
    if kind in counters and counters[kind](data, limits.max_frames) > limits.max_frames:
        raise ImageRefused(
            f"This animation has more than {limits.max_frames} frames; animations can have at most "
            f"{limits.max_frames} frames."
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


# --- Decoding in a child process ----------------------------------------------------
# Decoding is CPU work in C, which never gives way to other requests: under
# gunicorn's gevent workers, one upload that takes 30 s to decode stops every
# other request of its worker for 30 s (and gunicorn then kills the worker).
# So process_image runs in a new Python process: this file run as a script,
# the upload on its stdin, the answer on its stdout. Waiting for it is like
# waiting for the network (gevent makes subprocess cooperative), so the worker
# goes on answering; the child is killed when it takes longer than its time,
# and the operating system holds it to its CPU time and memory besides.
# Starting Python and Pillow costs ~80 ms an upload: the price of that bound.

log = logging.getLogger(__name__)


def too_slow_message(seconds):
    return (
        f"This image took too long to decode (over {seconds:g} seconds); "
        "please send a smaller or simpler one."
    )


def process_image_in_child(data: bytes, limits: Limits, seconds: float, memory: int) -> ProcessedImage:
    """process_image(data, limits) in a child process that may take at most
    `seconds` and `memory` bytes. Raises ImageRefused, like process_image."""
    # -I ("isolated"): the child ignores PYTHON* environment variables and does
    # not put this file's folder first on its path (where our modules would
    # hide the standard library's of the same name). It finds Pillow all the same.
    command = [sys.executable, "-I", __file__, json.dumps(asdict(limits)), str(seconds), str(memory)]
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


def read_answer(output):
    """The child's answer: one line of JSON, then the stored file's bytes and the
    thumbnail's. Not pickle: the child has handled hostile bytes, and unpickling
    can run code, so the parent reads nothing but numbers, text and bytes."""
    line, _, rest = output.partition(b"\n")
    try:
        answer = json.loads(line)
        refusal = answer.get("refused")
        if refusal is None:
            size = answer.pop("data_size")
            return ProcessedImage(data=rest[:size], thumbnail=rest[size:], **answer)
    except (ValueError, TypeError, KeyError, AttributeError):  # not an answer at all
        refusal = NOT_AN_IMAGE
    raise ImageRefused(refusal)


def child_main():
    """python images.py LIMITS SECONDS MEMORY < upload > answer (see process_image_in_child)."""
    limits = Limits(**json.loads(sys.argv[1]))
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
        image = process_image(sys.stdin.buffer.read(), limits)
    except ImageRefused as refused:
        answer, files = {"refused": str(refused)}, b""
    except MemoryError:
        answer, files = {"refused": "This image needs more memory to decode than this site allows."}, b""
    else:
        fields = asdict(image)
        files = fields.pop("data") + fields.pop("thumbnail")
        answer = {**fields, "data_size": len(image.data)}
    sys.stdout.buffer.write(json.dumps(answer).encode() + b"\n" + files)


if __name__ == "__main__":
    child_main()
