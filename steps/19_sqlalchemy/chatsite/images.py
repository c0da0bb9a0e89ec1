"""Check uploaded images by decoding them with Pillow, then store only what we decoded.

An upload is judged by its *content*, never by its file name or the
Content-Type the browser sent: the uploader chooses both, so both can lie.
Reading a file's header is not enough either: a header can promise
60,000 x 60,000 pixels (3.6 billion, ~10 GB of memory once decoded: a
"decompression bomb") in a few hundred bytes, and a file whose header is
perfect can be cut short or garbage after it. So process_image:

0. counts the frames and JPEG scans from the bytes (image_frames.py), and
   refuses more than MAX_IMAGE_FRAMES or MAX_JPEG_SCANS (check_frames_and_scans);
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
(image_child.py). Any refusal is an ImageRefused, whose message is shown to
the person.
"""

import os
import warnings
from dataclasses import dataclass
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

from .image_frames import count_gif_frames, count_jpeg_scans, count_png_frames, count_webp_frames

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


def check_frames_and_scans(data, limits):
    """Refuse an image with more than limits.max_frames frames, or a JPEG with more
    than limits.max_jpeg_scans scans, counted from the bytes (image_frames.py):
    decoding time grows with them, not only with pixels. A broken file is left
    to the decoder."""
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

