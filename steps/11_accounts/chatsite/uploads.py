"""Image uploads: check the bytes, store them under a made-up name, serve them back.

The blueprint has one page, /uploads/<path>, which serves a stored image.
The boards blueprint calls check_upload() and saved_image() when a form
carries a file.
"""

import math
import os
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory

from . import images  # checks an upload's bytes
from .forms import FormError, has_hidden_characters, has_visible_character

# url_prefix: every address of this blueprint starts with /uploads.
bp = Blueprint("uploads", __name__, url_prefix="/uploads")

# An uploaded file never changes (a new image gets a new name), so browsers and
# proxies may keep it for a year without asking again.
IMMUTABLE_FOR_A_YEAR = 365 * 24 * 60 * 60


def check_upload(upload):
    """Check the form's file field. Return None when no file was chosen, or a dict
    with the file's bytes and what we found in them. Raise FormError if refused."""
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
    kind_by_name = images.kind_for_filename(upload.filename)
    if kind_by_name is None:
        raise FormError("Only PNG, JPEG, GIF and WebP images can be uploaded.")
    # The name and the Content-Type are chosen by the sender, so we trust only the bytes.
    found = images.inspect_image(data)
    if found is None:
        raise FormError("This file is not a complete PNG, JPEG, GIF or WebP image.")
    kind, width, height = found
    if kind != kind_by_name:
        raise FormError(f"The file name says {kind_by_name.upper()}, but it is a {kind.upper()} image.")
    return {"data": data, "kind": kind, "width": width, "height": height, "name": upload.filename}


def save_image(board, upload):
    """Store a checked upload as uploads/<board>/<YYYY>/<MM>/<random name>; describe it."""
    now = datetime.now(timezone.utc)
    relative_folder = f"{board['slug']}/{now:%Y}/{now:%m}"
    # current_app: the app answering this request. There is no global `app` any more.
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / relative_folder
    folder.mkdir(parents=True, exist_ok=True)
    # A name we make up: never the sender's, which could be "../app.py" or clash
    # with someone else's "photo.jpg". uuid4 gives 122 random bits.
    extension = images.IMAGE_TYPES[upload["kind"]]["extensions"][0]
    name = uuid.uuid4().hex + extension
    # Write under a temporary name, then rename: the rename is all-or-nothing, so
    # no half-written image ever appears under the real name.
    temporary = folder / (name + ".part")
    try:
        temporary.write_bytes(upload["data"])
        os.replace(temporary, folder / name)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise
    return {
        "path": f"{relative_folder}/{name}",
        "content_type": images.IMAGE_TYPES[upload["kind"]]["content_type"],
        "size": len(upload["data"]),
        "width": upload["width"],
        "height": upload["height"],
        "original_name": display_name(upload["name"], upload["kind"]),
    }


@contextmanager
def saved_image(board, upload):
    """Save a checked upload (or nothing, for None) while the block stores its post.

        with saved_image(board, upload) as image:
            post = get_store().add_reply(thread, body, image)

    The file is written first, because the post's row says where it is. If
    storing the post then fails (the database is busy, say), the file is
    deleted again: a file that no post shows would only take up space.
    """
    image = save_image(board, upload) if upload else None
    try:
        yield image
    except BaseException:
        if image is not None:
            (Path(current_app.config["UPLOAD_FOLDER"]) / image["path"]).unlink(missing_ok=True)
        raise


def display_name(filename, kind):
    """The sender's file name, shown as the image's alt text: no folders, no hidden
    characters, at most 100 characters. (Jinja still escapes it when shown.)"""
    name = filename.replace("\\", "/").split("/")[-1]
    visible = [c for c in name if not has_hidden_characters(c, allow_line_breaks=False)]
    name = "".join(visible)[:100]
    if not has_visible_character(name):
        # Nothing left that shows (300 zero-width spaces and ".png", cut to 100):
        # an empty alt text would describe nothing, so say what the file is.
        return "image" + images.IMAGE_TYPES[kind]["extensions"][0]
    return name


@bp.get("/<path:filename>")
def uploaded_file(filename):
    """Serve an uploaded image. send_from_directory answers 404 for any path that
    would leave the upload folder, like ../../app.py."""
    kind = images.kind_for_filename(filename)
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
    return response


def max_upload_mib():
    """MAX_IMAGE_SIZE in MiB, for the forms' "up to 4 MiB": "4" rather than 4194304."""
    return mib(current_app.config["MAX_IMAGE_SIZE"])


def mib(size):
    """A number of bytes in MiB, for messages: 4194304 is "4", 4718592 is "4.5".
    Rounded up to a tenth, so that one byte over 4 MiB says "4.1", never "4"."""
    return f"{math.ceil(size * 10 / (1024 * 1024)) / 10:g}"
