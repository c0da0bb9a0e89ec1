"""Uploads: check the bytes, store them under their SHA-256, serve them back.

An image is decoded and re-encoded by Pillow (images.py), a video's container
is checked (videos.py); either way what is stored is named by the SHA-256 of
the stored bytes (files.py), and shared by every post with the same file.
"""

import hashlib
import math
import threading
import time
from pathlib import Path, PurePosixPath

import click
from flask import Blueprint, abort, current_app, g, send_from_directory
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import ServiceUnavailable

from chatsite import files, images, posting, videos
from chatsite.db import db
from chatsite.forms import FormError, has_hidden_characters, has_visible_character

# cli_group=None: its command is `flask prune-uploads`, not `flask uploads prune-uploads`.
bp = Blueprint("uploads", __name__, url_prefix="/uploads", cli_group=None)

# An uploaded file never changes (its name is its content's SHA-256), so browsers
# and proxies may keep it for a year without asking again.
IMMUTABLE_FOR_A_YEAR = 365 * 24 * 60 * 60
# `flask prune-uploads` leaves files younger than this alone: their post may
# still be on its way into the database.
UPLOAD_GRACE_SECONDS = 60 * 60

# What each kind of file is, for the forms' checks and for serving it.
MEDIA_TYPES = {**images.IMAGE_TYPES, **videos.VIDEO_TYPES}

# The Content-Security-Policy of an uploaded file opened on its own (uploaded_file).
UPLOADED_FILE_POLICY = (
    "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"
)

UNKNOWN_EXTENSION = "Only PNG, JPEG, GIF and WebP images and WebM and MP4 videos can be uploaded."


def check_upload(upload):
    """Check the form's file field. Return None when no file was chosen, or a dict
    with the bytes to store and what we found in them. Raise FormError if refused.

    In this order: a name, some bytes, not too big (MAX_IMAGE_SIZE for an
    image's name, MAX_VIDEO_SIZE for a video's), a kind we take, and then the
    content: it must be what its name says, and complete."""
    if upload is None:
        return None
    data = upload.read()
    if not upload.filename and not data:
        return None  # the browser sends an empty, nameless file when none was chosen
    if not upload.filename:
        raise FormError("The file has no name. Please choose an image file.")
    if not data:
        raise FormError("The file is empty. Please choose an image file.")
    video_kind = videos.kind_for_filename(upload.filename)
    what, setting = ("Videos", "MAX_VIDEO_SIZE") if video_kind else ("Images", "MAX_IMAGE_SIZE")
    limit = current_app.config[setting]
    if len(data) > limit:
        raise FormError(f"{what} can be at most {mib(limit)} MiB; this one is {mib(len(data))} MiB.")
    # From here on the file's content is looked at, which costs the server work:
    # the post counts toward flood control even if it is refused (flood.py).
    g.upload_looked_at = True
    # The name and the Content-Type are chosen by the sender, so we trust only the bytes.
    if video_kind:
        return check_video(data, video_kind, upload.filename)
    image_kind = images.kind_for_filename(upload.filename)
    if image_kind is None:
        raise FormError(UNKNOWN_EXTENSION)
    return check_image(data, image_kind, upload.filename)


def check_image(data, kind_by_name, filename):
    """Decode and re-encode an image (images.process_image)."""
    refuse_other_kind(data, kind_by_name)
    try:
        image = decode_in_child(data)
    except images.ImageRefused as refused:
        raise FormError(str(refused)) from None
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
    """images.process_image in a child process (see images.process_image_in_child),
    at most IMAGE_DECODES_PER_WORKER at a time in this worker: a burst of uploads
    waits its turn (cheaply, under gevent) instead of starting a child each.
    No turn within IMAGE_DECODE_TIMEOUT seconds: 503, try again."""
    config = current_app.config
    slots = current_app.extensions.setdefault(
        "image_decode_slots", threading.BoundedSemaphore(config["IMAGE_DECODES_PER_WORKER"])
    )
    if not slots.acquire(timeout=config["IMAGE_DECODE_TIMEOUT"]):
        raise ServiceUnavailable(retry_after=5)
    try:
        limits = images.Limits.from_config(config)
        return images.process_image_in_child(
            data, limits, config["IMAGE_DECODE_TIMEOUT"], config["IMAGE_DECODE_MEMORY"]
        )
    finally:
        slots.release()


def check_video(data, kind_by_name, filename):
    """Check a video's container (videos.inspect_video); an MP4 loses its metadata."""
    refuse_other_kind(data, kind_by_name)
    found = videos.inspect_video(data)
    if found is None:
        raise FormError(videos.NOT_A_VIDEO)
    kind, stored = found
    return {"kind": kind, "data": stored, "width": None, "height": None, "thumbnail": None, "name": filename}


def refuse_other_kind(data, kind_by_name):
    """FormError if the first bytes say another kind than the name:
    "The file name says MP4, but it is a PNG image." """
    kind = images.kind_of(data) or videos.kind_of(data)
    if kind is not None and kind != kind_by_name:
        raise FormError(f"The file name says {kind_by_name.upper()}, but it is a {describe(kind)}.")


def describe(kind):
    """"PNG image", "WEBM video"."""
    return f"{kind.upper()} {'video' if kind in videos.VIDEO_TYPES else 'image'}"


def describe_upload(upload):
    """The description of a checked upload (check_upload) that its post keeps,
    or None for no upload: its files are <UPLOAD_FOLDER>/<sha[:2]>/<sha>.<ext>
    (and an image's thumbnail beside it).

    Every key but "contents" is a column of models.Image. "contents" ({path:
    bytes}) goes to posting.py, which writes the files inside the post's
    transaction, unless they are there already (files.write_for_post)."""
    if upload is None:
        return None
    data = upload["data"]
    sha256 = hashlib.sha256(data).hexdigest()
    info = MEDIA_TYPES[upload["kind"]]
    image = {
        "sha256": sha256,
        "path": files.content_path(sha256, info["extensions"][0]),
        "content_type": info["content_type"],
        "size": len(data),
        "width": upload["width"],
        "height": upload["height"],
        "md5": images.md5_base64(data),  # for the 4chan-compatible API
        "original_name": display_name(upload["name"], upload["kind"]),
        "thumbnail_path": None,
        "thumbnail_width": None,
        "thumbnail_height": None,
    }
    image["contents"] = {image["path"]: data}
    if upload["thumbnail"] is not None:
        image["thumbnail_path"] = files.thumbnail_path(sha256)
        image["thumbnail_width"] = upload["thumbnail_width"]
        image["thumbnail_height"] = upload["thumbnail_height"]
        image["contents"][image["thumbnail_path"]] = upload["thumbnail"]
    return image


def display_name(filename, kind):
    """The sender's file name, shown as the image's alt text: no folders, no hidden
    characters, at most 100 characters. (Jinja still escapes it when shown.)"""
    name = filename.replace("\\", "/").split("/")[-1]
    visible = [c for c in name if not has_hidden_characters(c, allow_line_breaks=False)]
    name = "".join(visible)[:100]
    if not has_visible_character(name):
        # Nothing left that shows (300 zero-width spaces and ".png", cut to 100):
        # an empty alt text would describe nothing, so say what the file is.
        what = "video" if kind in videos.VIDEO_TYPES else "image"
        return what + MEDIA_TYPES[kind]["extensions"][0]
    return name


def max_upload_mib():
    """MAX_IMAGE_SIZE in MiB, for the forms' "up to 4 MiB": "4" rather than 4194304.

    Read on every request, so a change to app.config takes effect at once."""
    return mib(current_app.config["MAX_IMAGE_SIZE"])


def mib(size):
    """A number of bytes in MiB, for messages: 4194304 is "4", 4718592 is "4.5".
    Rounded up to a tenth, so that one byte over 4 MiB says "4.1", never "4"."""
    return f"{math.ceil(size * 10 / (1024 * 1024)) / 10:g}"


@bp.app_template_filter("file_info")
def file_info(image):
    """What a post says of its file: "1.2 MiB, 1920×1080" or "3.4 MiB, WebM video"."""
    if image.width is None:  # a video
        labels = {info["content_type"]: info["label"] for info in videos.VIDEO_TYPES.values()}
        return f"{file_size(image.size)}, {labels[image.content_type]}"
    return f"{file_size(image.size)}, {image.width}×{image.height}"


def file_size(size):
    """A file's size for people: "512 B", "340 KiB" (whole KiB, rounded up), "1.2 MiB"."""
    if size < 1024:
        return f"{size} B"
    kib = math.ceil(size / 1024)
    if kib < 1024:
        return f"{kib} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"


def max_video_mib():
    """MAX_VIDEO_SIZE in MiB, like max_upload_mib."""
    return mib(current_app.config["MAX_VIDEO_SIZE"])


def media_type(filename):
    """The content type of a stored file, from its extension; None if it is not ours."""
    extension = PurePosixPath(filename).suffix.lower()
    for info in MEDIA_TYPES.values():
        if extension in info["extensions"]:
            return info["content_type"]
    return None


@bp.get("/<path:filename>")
def uploaded_file(filename):
    """Serve an uploaded file (or thumbnail). send_from_directory answers 404 for any
    path that would leave the upload folder, like ../../app.py, and answers Range
    requests (a video can be played from the middle)."""
    mimetype = media_type(filename)
    if mimetype is None:
        abort(404)
    response = send_from_directory(
        current_app.config["UPLOAD_FOLDER"],
        filename,
        mimetype=mimetype,
    )
    # Shown in the browser, and saved under the stored name ("<sha>.png": letters,
    # digits and a dot, nothing to escape), never the sender's.
    response.headers["Content-Disposition"] = f'inline; filename="{PurePosixPath(filename).name}"'
    # Browsers must treat the file as the type we say, never "sniff" it as HTML.
    # (create_app adds this header to every response too; a file must never lack it.)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.public = True
    response.cache_control.max_age = IMMUTABLE_FOR_A_YEAR
    response.cache_control.immutable = True
    response.cache_control.no_cache = None  # send_from_directory's default; not for files that never change
    # Only our own pages may embed our uploads (no hotlinking from other sites'
    # pages, and no reading them cross-origin).
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    # A click on a thumbnail opens the file on its own, in the browser's viewer,
    # which styles it with inline CSS that the pages' policy blocks. Files get a
    # policy of their own: nothing loads but the file itself, and "sandbox" runs
    # no script at all, even in a file that fooled every check.
    response.headers["Content-Security-Policy"] = UPLOADED_FILE_POLICY
    return response


def keep_board_within_budget(board_slug):
    """Delete the board's least recently active threads while the board is over its
    thread or image budget (BOARD_THREAD_LIMIT, BOARD_UPLOAD_BUDGET), and their
    files (those no other post uses)."""
    config = current_app.config
    posting.prune_board(board_slug, config["BOARD_THREAD_LIMIT"], config["BOARD_UPLOAD_BUDGET"])


@bp.cli.command("prune-uploads")
def prune_uploads_command():
    """Delete uploaded files and thumbnails that no post refers to (and half-written
    .part files), once they are an hour old.

    Only with the database these files belong to: a command run with other
    settings (cron without the app's CHATSITE_* variables falls back to the
    default SQLite file) would find no post for any file, and delete them all.
    So it first checks that the database's id is the one the upload folder
    recorded at its first upload, and stops with an error if not."""
    folder = files.folder()
    check_database_owns(folder)
    referred_to = files.paths_in_use()
    removed = 0
    now = time.time()
    for path in sorted(folder.rglob("*")) if folder.exists() else []:
        if not path.is_file() or path == folder / files.SITE_ID_FILE:
            continue
        name = path.relative_to(folder).as_posix()
        # A young file may belong to a post still being stored (its writer can
        # wait for the database's write lock): leave it for the next run.
        young = now - path.stat().st_mtime < UPLOAD_GRACE_SECONDS
        orphan = not young and (path.suffix == files.PART_SUFFIX or name not in referred_to)
        if orphan:
            path.unlink()
            removed += 1
    click.echo(f"Removed {removed} file{'' if removed == 1 else 's'} that no post refers to.")


def check_database_owns(folder):
    """Raise click.ClickException (exit code 1, nothing deleted) unless the
    database is the one whose files are in `folder` (files.SITE_ID_FILE)."""
    url = db.engine.url
    where = url.render_as_string(hide_password=True)
    # Connecting to an SQLite file that is not there would create an empty one.
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).is_file():
        raise click.ClickException(
            f"There is no database at {where}. Run this command with the app's settings "
            "(the same CHATSITE_DATABASE_URL and CHATSITE_UPLOAD_FOLDER). Nothing was deleted."
        )
    try:
        database_id = files.database_site_id()
    except SQLAlchemyError as error:
        raise click.ClickException(
            f"Cannot read the site id of the database {where} ({type(error).__name__}): is it "
            "this site's database, brought up to date with `flask --app chatsite db upgrade`? "
            "Nothing was deleted."
        ) from None
    stored = [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []
    if not stored:
        return  # nothing that could be deleted
    folder_id = files.site_id()
    if folder_id is None:
        raise click.ClickException(
            f"The upload folder {folder} does not say which database it belongs to yet: the site "
            f"writes {files.SITE_ID_FILE} with its next upload. (If {where} is certainly its "
            f"database, write {database_id} into {folder / files.SITE_ID_FILE}.) Nothing was deleted."
        )
    if folder_id != database_id:
        raise click.ClickException(
            f"The upload folder {folder} belongs to the database with site id {folder_id}, "
            f"but {where} has the site id {database_id}: run this command with the app's settings "
            "(the same CHATSITE_DATABASE_URL and CHATSITE_UPLOAD_FOLDER). Nothing was deleted."
        )
