"""The uploads blueprint: serves uploaded files, shows their size on the pages,
and `flask prune-uploads` deletes the files no post refers to.

Checking an upload is upload_checks.py's job, storing and serving it
upload_storage.py's: the boards blueprint uses them too.
"""

import math
import time
from pathlib import Path

import click
from flask import Blueprint
from sqlalchemy.exc import SQLAlchemyError

from . import files, videos
from .db import db
from .upload_storage import send_upload

# cli_group=None: its command is `flask prune-uploads`, not `flask uploads prune-uploads`.
bp = Blueprint("uploads", __name__, url_prefix="/uploads", cli_group=None)

# `flask prune-uploads` leaves files younger than this alone: their post may
# still be on its way into the database.
UPLOAD_GRACE_SECONDS = 60 * 60


@bp.get("/<path:filename>")
def uploaded_file(filename):
    """Serve an uploaded file (or thumbnail), with the headers of upload_storage.send_upload."""
    return send_upload(filename)


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
