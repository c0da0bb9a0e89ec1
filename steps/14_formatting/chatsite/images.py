"""Check uploaded images by decoding them with Pillow, and keep only their pixels.

Step 06 walked the structure of each file by hand: signature, chunks,
segments, blocks, up to the end. That was the right lesson (judge a file by
its content, never by its name; check every read against the end of the
data), and it is as far as a hand-written checker should go. But a header
is only a *claim*: "a PNG, 60000 x 60000, here come the pixels". Only
decoding the pixels proves they are there, and decoders (zlib, JPEG's
Huffman codes, LZW, VP8) are thousands of lines of careful C that nobody
should write again for a forum. Pillow has them, maintained and fuzzed.

inspect_image() does four jobs, in this order:

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


def inspect_image(data, expected_kind, max_pixels, max_side, max_animation_pixels, thumbnail_size):
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


def identify(data):
    """The kind of image `data` is, from its header alone, or None. For the
    message "The file name says MP4, but it is a PNG image." (uploads.py)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            return kind_of_pillow_format(Image.open(BytesIO(data), formats=PILLOW_FORMATS).format)
        except (*PILLOW_ERRORS, Image.DecompressionBombError):
            return None


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
