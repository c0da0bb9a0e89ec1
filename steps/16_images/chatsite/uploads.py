"""Image uploads: decode and re-encode them, store them under a made-up name, serve them back.

Step 16: an image is decoded, checked and saved again by Pillow, with a
thumbnail (images.py), in a child process. What is stored is Pillow's new
file, uploads/<board>/<YYYY>/<MM>/<random>.png, and the thumbnail beside it,
<random>.thumb.jpg.

The blueprint has one page, /uploads/<path>, which serves a stored file.
The boards blueprint calls check_upload() and saved_image() when a form
carries a file; moderation.py calls delete_image_files() when it deletes posts.
"""

import math
import os
import threading
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory
from werkzeug.exceptions import ServiceUnavailable

from . import images  # decodes and re-encodes an upload with Pillow
from .forms import FormError, has_hidden_characters, has_visible_character

# url_prefix: every address of this blueprint starts with /uploads.
bp = Blueprint("uploads", __name__, url_prefix="/uploads")

# An uploaded file never changes (a new image gets a new name), so browsers and
# proxies may keep it for a year without asking again.
IMMUTABLE_FOR_A_YEAR = 365 * 24 * 60 * 60

# The Content-Security-Policy of an uploaded file opened on its own (uploaded_file).
UPLOADED_FILE_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def check_upload(upload):
    """Check the form's file field. Return None when no file was chosen, or a dict
    with what to store and what we found. Raise FormError if refused."""
    if upload is None:
        return None
    data = upload.read()
    if not upload.filename and not data:
        return None  # the browser sends an empty, nameless file when none was chosen
    if not upload.filename:
        raise FormError("The file has no name. Please choose an image file.")
    if not data:
        raise FormError("The file is empty. Please choose an image file.")
    if len(data) > current_app.config["MAX_IMAGE_SIZE"]:
        limit = current_app.config["MAX_IMAGE_SIZE"]
        raise FormError(f"Images can be at most {mib(limit)} MiB; this one is {mib(len(data))} MiB.")
    kind_by_name = kind_for_filename(upload.filename)
    if kind_by_name is None:
        raise FormError("Only PNG, JPEG, GIF and WebP images can be uploaded.")
    # The name and the Content-Type are chosen by the sender, so we trust only the bytes.
    found = check_image(data, kind_by_name)
    found["name"] = upload.filename
    return found


def check_image(data, kind_by_name):
    """An image, decoded and re-encoded by images.inspect_image (see there); FormError if refused."""
    config = current_app.config
    options = {
        "expected_kind": kind_by_name,
        "max_pixels": config["MAX_IMAGE_PIXELS"],
        "max_side": config["MAX_IMAGE_SIDE"],
        "max_animation_pixels": config["MAX_ANIMATION_PIXELS"],
        "thumbnail_size": config["THUMBNAIL_SIZE"],
        "max_frames": config["MAX_IMAGE_FRAMES"],
        "max_jpeg_scans": config["MAX_JPEG_SCANS"],
    }
    # In a child process (see images.inspect_image_in_child), at most
    # IMAGE_DECODES_PER_WORKER at a time in this server process: a burst of
    # uploads waits its turn instead of starting a child each. No turn within
    # IMAGE_DECODE_TIMEOUT seconds: 503, try again.
    slots = current_app.extensions.setdefault(
        "image_decode_slots", threading.BoundedSemaphore(config["IMAGE_DECODES_PER_WORKER"])
    )
    if not slots.acquire(timeout=config["IMAGE_DECODE_TIMEOUT"]):
        raise ServiceUnavailable(retry_after=5)
    try:
        return images.inspect_image_in_child(
            data, options, config["IMAGE_DECODE_TIMEOUT"], config["IMAGE_DECODE_MEMORY"]
        )
    except images.ImageRefused as refusal:
        raise FormError(str(refusal)) from None
    finally:
        slots.release()


def kind_for_filename(filename):
    """Return the kind whose extensions include this name's extension, else None."""
    extension = os.path.splitext(filename)[1].lower()
    for kind, info in images.IMAGE_TYPES.items():
        if extension in info["extensions"]:
            return kind
    return None


def save_image(board, upload):
    """Store a checked upload as uploads/<board>/<YYYY>/<MM>/<random name>, and its
    thumbnail beside it as <random name>.thumb.jpg; describe both."""
    now = datetime.now(timezone.utc)
    relative_folder = f"{board['slug']}/{now:%Y}/{now:%m}"
    # current_app: the app answering this request. There is no global `app` any more.
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / relative_folder
    folder.mkdir(parents=True, exist_ok=True)
    # A name we make up: never the sender's, which could be "../app.py" or clash
    # with someone else's "photo.jpg". uuid4 gives 122 random bits.
    extension = images.IMAGE_TYPES[upload["kind"]]["extensions"][0]
    random_name = uuid.uuid4().hex
    name = random_name + extension
    thumbnail_name = random_name + ".thumb.jpg"
    files = {folder / name: upload["data"], folder / thumbnail_name: upload["thumbnail"]}
    # Write each file under a temporary name, then rename: the rename is
    # all-or-nothing, so no half-written file ever appears under the real name.
    try:
        for path, content in files.items():
            temporary = path.with_name(path.name + ".part")
            temporary.write_bytes(content)
            os.replace(temporary, path)
    except OSError:
        for path in files:
            path.with_name(path.name + ".part").unlink(missing_ok=True)
            path.unlink(missing_ok=True)
        raise
    return {
        "path": f"{relative_folder}/{name}",
        "content_type": images.IMAGE_TYPES[upload["kind"]]["content_type"],
        "size": len(upload["data"]),
        "width": upload["width"],
        "height": upload["height"],
        "original_name": display_name(upload["name"], upload["kind"]),
        "thumbnail_path": f"{relative_folder}/{thumbnail_name}",
        "thumbnail_width": upload["thumbnail_width"],
        "thumbnail_height": upload["thumbnail_height"],
    }


@contextmanager
def saved_image(board, upload):
    """Save a checked upload (or nothing, for None) while the block stores its post.

        with saved_image(board, upload) as image:
            post = get_store().add_reply(thread, body, image)

    The files are written first, because the post's row says where they are.
    If storing the post then fails (the database is busy, say), the image and
    its thumbnail are deleted again: files that no post shows would only take
    up space.
    """
    image = save_image(board, upload) if upload else None
    try:
        yield image
    except BaseException:
        if image is not None:
            folder = Path(current_app.config["UPLOAD_FOLDER"])
            for path in (image["path"], image["thumbnail_path"]):
                (folder / path).unlink(missing_ok=True)
        raise


def delete_image_files(paths):
    """Delete the files of images (and thumbnails) whose posts a moderator deleted (moderation.py).

    Called after the posts' rows are deleted and COMMITted, never before: see
    "Deleting posts and threads" in moderation.py. A file that cannot be deleted
    (it is already gone, or the disk says no) is only logged: the posts are
    deleted either way, and a file nobody links to any more harms no one.
    """
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    for path in paths:
        try:
            (folder / path).unlink(missing_ok=True)
        except OSError as error:
            current_app.logger.warning("Could not delete the image file %s: %s", path, error)


def display_name(filename, kind):
    """The sender's file name, shown on the post and as the image's alt text: no
    folders, no hidden characters, at most 100 characters. (Jinja still escapes it.)"""
    name = filename.replace("\\", "/").split("/")[-1]
    visible = [c for c in name if not has_hidden_characters(c, allow_line_breaks=False)]
    name = "".join(visible)[:100]
    if not has_visible_character(name):
        # Nothing left that shows (300 zero-width spaces and ".png", cut to 100):
        # an empty name would describe nothing, so say what the file is.
        return "image" + images.IMAGE_TYPES[kind]["extensions"][0]
    return name


@bp.get("/<path:filename>")
def uploaded_file(filename):
    """Serve an uploaded image or thumbnail. send_from_directory answers 404 for any
    path that would leave the upload folder, like ../../app.py."""
    kind = kind_for_filename(filename)
    if kind is None:
        abort(404)
    response = send_from_directory(
        current_app.config["UPLOAD_FOLDER"], filename, mimetype=images.IMAGE_TYPES[kind]["content_type"]
    )
    # Browsers must treat the file as the image type we say, never "sniff" it as HTML.
    response.headers["X-Content-Type-Options"] = "nosniff"
    # send_from_directory says "no-cache": ask the server again before each use,
    # which suits files that may change. Ours never do (see IMMUTABLE_FOR_A_YEAR).
    response.cache_control.no_cache = None
    response.cache_control.public = True
    response.cache_control.max_age = IMMUTABLE_FOR_A_YEAR
    response.cache_control.immutable = True
    # Only pages of this site may embed our uploads: no other site can show them
    # on its pages at our expense, or read them from a script.
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    # A visitor who opens a file on its own (a click on a thumbnail) gets the
    # browser's own viewer, which styles the picture with inline CSS: the pages'
    # policy would block that. The files get a policy of their own: nothing may
    # load but the file itself, and "sandbox" treats the file as coming from
    # nowhere, so even a file that fooled every check could run no script here.
    response.headers["Content-Security-Policy"] = UPLOADED_FILE_POLICY
    return response


@bp.app_template_filter("file_details")
def file_details(image):
    """What a post's file line says after the name: "1.2 MiB, 1920×1080" (_post.html)."""
    return f"{file_size(image['size'])}, {image['width']}×{image['height']}"


def file_size(size):
    """A number of bytes as people read it: "512 B", "340 KiB" (whole KiB,
    rounded up), "1.2 MiB" (one decimal)."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{math.ceil(size / 1024)} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"


def max_upload_mib():
    """MAX_IMAGE_SIZE in MiB, for the forms' "up to 4 MiB": "4" rather than 4194304."""
    return mib(current_app.config["MAX_IMAGE_SIZE"])


def mib(size):
    """A number of bytes in MiB, for messages: 4194304 is "4", 4718592 is "4.5".
    Rounded up to a tenth, so that one byte over 4 MiB says "4.1", never "4"."""
    return f"{math.ceil(size * 10 / (1024 * 1024)) / 10:g}"
