"""Checking an uploaded file: its name and size first, then its content.

An image is decoded and re-encoded by Pillow (images.py, in a child process:
image_child.py), a video's container is checked (videos.py). The name and the
Content-Type are chosen by the sender, so only the bytes are trusted. What a
check refuses is an UploadRefused, whose message the form shows.
"""

import math
import threading

from flask import current_app, g
from werkzeug.exceptions import ServiceUnavailable

from . import image_child, images, videos

UNKNOWN_EXTENSION = "Only PNG, JPEG, GIF and WebP images and WebM and MP4 videos can be uploaded."


class UploadRefused(ValueError):
    """The file is not one we store; str(error) says why, for the person."""


def check_upload(upload):
    """Check the form's file (a FileStorage, or None). Return None when no file was
    chosen, or a dict with the bytes to store and what we found in them. Raise
    UploadRefused if refused.

    In this order: a name, some bytes, not too big (MAX_IMAGE_SIZE for an
    image's name, MAX_VIDEO_SIZE for a video's), a kind we take, and then the
    content: it must be what its name says, and complete."""
    if upload is None:
        return None
    data = upload.read()
    if not upload.filename and not data:
        return None  # the browser sends an empty, nameless file when none was chosen
    if not upload.filename:
        raise UploadRefused("The file has no name. Please choose an image file.")
    if not data:
        raise UploadRefused("The file is empty. Please choose an image file.")
    video_kind = videos.kind_for_filename(upload.filename)
    what, setting = ("Videos", "MAX_VIDEO_SIZE") if video_kind else ("Images", "MAX_IMAGE_SIZE")
    limit = current_app.config[setting]
    if len(data) > limit:
        raise UploadRefused(f"{what} can be at most {mib(limit)} MiB; this one is {mib(len(data))} MiB.")
    # From here on the file's content is looked at, which costs the server work:
    # the post counts toward flood control even if it is refused (flood.py).
    g.upload_looked_at = True
    if video_kind:
        return check_video(data, video_kind, upload.filename)
    image_kind = images.kind_for_filename(upload.filename)
    if image_kind is None:
        raise UploadRefused(UNKNOWN_EXTENSION)
    return check_image(data, image_kind, upload.filename)


def check_image(data, kind_by_name, filename):
    """Decode and re-encode an image (images.process_image)."""
    refuse_other_kind(data, kind_by_name)
    try:
        image = decode_in_child(data)
    except images.ImageRefused as refused:
        raise UploadRefused(str(refused)) from None
    return {
        "kind": image.kind,
        "data": image.data,
        "width": image.width,
        "height": image.height,
        "thumbnail": image.thumbnail,
        "thumbnail_width": image.thumbnail_width,
        "thumbnail_height": image.thumbnail_height,
        "name": filename,
    }


def decode_in_child(data):
    """images.process_image in a child process (image_child.process_image_in_child),
    at most IMAGE_DECODES_PER_WORKER at a time in this worker: a burst of uploads
    waits its turn instead of starting a child each.
    No turn within IMAGE_DECODE_TIMEOUT seconds: 503, try again."""
    config = current_app.config
    slots = current_app.extensions.setdefault(
        "image_decode_slots", threading.BoundedSemaphore(config["IMAGE_DECODES_PER_WORKER"])
    )
    if not slots.acquire(timeout=config["IMAGE_DECODE_TIMEOUT"]):
        raise ServiceUnavailable(retry_after=5)
    try:
        limits = images.Limits.from_config(config)
        return image_child.process_image_in_child(
            data, limits, config["IMAGE_DECODE_TIMEOUT"], config["IMAGE_DECODE_MEMORY"]
        )
    finally:
        slots.release()


def check_video(data, kind_by_name, filename):
    """Check a video's container (videos.inspect_video); an MP4 loses its metadata."""
    refuse_other_kind(data, kind_by_name)
    found = videos.inspect_video(data)
    if found is None:
        raise UploadRefused(videos.NOT_A_VIDEO)
    kind, stored = found
    return {"kind": kind, "data": stored, "width": None, "height": None, "thumbnail": None, "name": filename}


def refuse_other_kind(data, kind_by_name):
    """UploadRefused if the first bytes say another kind than the name:
    "The file name says MP4, but it is a PNG image." """
    kind = images.kind_of(data) or videos.kind_of(data)
    if kind is not None and kind != kind_by_name:
        raise UploadRefused(f"The file name says {kind_by_name.upper()}, but it is a {describe(kind)}.")


def describe(kind):
    """"PNG image", "WEBM video"."""
    return f"{kind.upper()} {'video' if kind in videos.VIDEO_TYPES else 'image'}"


def max_upload_mib():
    """MAX_IMAGE_SIZE in MiB, for the forms' "up to 4 MiB": "4" rather than 4194304.

    Read on every request, so a change to app.config takes effect at once."""
    return mib(current_app.config["MAX_IMAGE_SIZE"])


def max_video_mib():
    """MAX_VIDEO_SIZE in MiB, like max_upload_mib."""
    return mib(current_app.config["MAX_VIDEO_SIZE"])


def mib(size):
    """A number of bytes in MiB, for messages: 4194304 is "4", 4718592 is "4.5".
    Rounded up to a tenth, so that one byte over 4 MiB says "4.1", never "4"."""
    return f"{math.ceil(size * 10 / (1024 * 1024)) / 10:g}"
