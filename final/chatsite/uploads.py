"""Image uploads: check the bytes, store under a made-up name, serve them back."""

import math
import os
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import click
from flask import Blueprint, abort, current_app, send_from_directory

from chatsite import images
from chatsite.forms import FormError, has_hidden_characters, has_visible_character
from chatsite.store import get_store

# cli_group=None: its command is `flask prune-uploads`, not `flask uploads prune-uploads`.
bp = Blueprint("uploads", __name__, url_prefix="/uploads", cli_group=None)

# An uploaded file never changes (a new image gets a new name), so browsers and
# proxies may keep it for a year without asking again.
IMMUTABLE_FOR_A_YEAR = 365 * 24 * 60 * 60
# `flask prune-uploads` leaves files younger than this alone: their post may
# still be on its way into the database.
UPLOAD_GRACE_SECONDS = 60 * 60


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


def save_image(board_slug, upload):
    """Store a checked upload as <UPLOAD_FOLDER>/<board>/<YYYY>/<MM>/<random name>;
    return the description of the image that the post keeps."""
    now = datetime.now(timezone.utc)
    relative_folder = f"{board_slug}/{now:%Y}/{now:%m}"
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
        "md5": images.md5_base64(upload["data"]),  # for the 4chan-compatible API
        "original_name": display_name(upload["name"], upload["kind"]),
    }


@contextmanager
def saved_image(board_slug, upload):
    """Store a checked upload (or nothing, for None) while the block stores its post.

    Yields the image's description, or None. If the block fails (the post could
    not be stored), the file is removed again: no file without a post.
    """
    image = save_image(board_slug, upload) if upload else None
    try:
        yield image
    except BaseException:
        if image:
            Path(current_app.config["UPLOAD_FOLDER"], image["path"]).unlink(missing_ok=True)
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


def max_upload_mib():
    """MAX_IMAGE_SIZE in MiB, for the forms' "up to 4 MiB": "4" rather than 4194304.

    Read on every request, so a change to app.config takes effect at once."""
    return mib(current_app.config["MAX_IMAGE_SIZE"])


def mib(size):
    """A number of bytes in MiB, for messages: 4194304 is "4", 4718592 is "4.5".
    Rounded up to a tenth, so that one byte over 4 MiB says "4.1", never "4"."""
    return f"{math.ceil(size * 10 / (1024 * 1024)) / 10:g}"


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
    # (create_app adds this header to every response too; an image must never lack it.)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.public = True
    response.cache_control.max_age = IMMUTABLE_FOR_A_YEAR
    response.cache_control.immutable = True
    response.cache_control.no_cache = None  # send_from_directory's default; not for files that never change
    # Only our own pages may embed our uploads (no hotlinking from other sites'
    # pages, and no reading them cross-origin).
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def keep_board_within_budget(board_slug):
    """Delete the board's least recently active threads while the board is over its
    thread or image budget (BOARD_THREAD_LIMIT, BOARD_UPLOAD_BUDGET), and their files."""
    config = current_app.config
    removed = get_store().prune_board(board_slug, config["BOARD_THREAD_LIMIT"], config["BOARD_UPLOAD_BUDGET"])
    delete_files(removed)


def delete_files(paths):
    """Delete these files of UPLOAD_FOLDER (once the database no longer refers to them)."""
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    for path in paths:
        (folder / path).unlink(missing_ok=True)


@bp.cli.command("prune-uploads")
def prune_uploads_command():
    """Delete uploaded files that no post refers to (and half-written .part files),
    once they are an hour old."""
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    referred_to = get_store().image_paths()
    removed = 0
    now = time.time()
    for path in sorted(folder.rglob("*")) if folder.exists() else []:
        if not path.is_file():
            continue
        name = path.relative_to(folder).as_posix()
        # A young file may belong to a post still being stored (its writer can
        # wait for the database's write lock): leave it for the next run.
        young = now - path.stat().st_mtime < UPLOAD_GRACE_SECONDS
        orphan = not young and (path.suffix == ".part" or name not in referred_to)
        if orphan:
            path.unlink()
            removed += 1
    click.echo(f"Removed {removed} file{'' if removed == 1 else 's'} that no post refers to.")
