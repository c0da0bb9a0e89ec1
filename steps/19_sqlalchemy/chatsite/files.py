"""The upload folder: files named by their content.

A stored file's name is the SHA-256 of its bytes: "<sha[:2]>/<sha>.<ext>",
and its thumbnail "<sha[:2]>/<sha>.thumb.jpg" beside it (the two-character
folders keep any one folder from holding millions of files). So:

- a name never changes, and never means two different files: browsers and
  proxies may keep a file for a year (upload_storage.send_upload);
- the same file posted twice is stored once, and shared by both posts; it
  is removed only when no post uses it any more (remove_unused says how
  that is done without races).

Each file is written under a temporary name, then renamed: the rename is
all-or-nothing, so no half-written file ever appears under the real name.

A post's files are written inside the post's transaction (write_for_post),
and not before it: a post that cannot be stored (a locked thread, a busy
database) has written nothing, and one that fails after writing them
removes them again.
"""

import os
import secrets
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from .db import after_rollback, db, on_postgresql, write_transaction
from .models import Image, Post, SiteIdentity

# The id of the database these files belong to (models.SiteIdentity), written at
# the first upload. `flask prune-uploads` compares the two before it deletes anything.
SITE_ID_FILE = "site-id.txt"
THUMBNAIL_SUFFIX = ".thumb.jpg"
# A half-written file, before its rename (`flask prune-uploads` removes old ones).
PART_SUFFIX = ".part"


def folder():
    """The upload folder (UPLOAD_FOLDER), read on every call: a test may change it."""
    return Path(current_app.config["UPLOAD_FOLDER"])


def content_path(sha256, extension):
    """Where the file with this SHA-256 is kept, inside the upload folder."""
    return f"{sha256[:2]}/{sha256}{extension}"


def thumbnail_path(sha256):
    """Where the thumbnail of the file with this SHA-256 is kept."""
    return f"{sha256[:2]}/{sha256}{THUMBNAIL_SUFFIX}"


def write_missing(contents):
    """Write each {relative path: bytes} of `contents` that is not there yet;
    return True if it wrote any.

    A file that is there holds these very bytes (its name is their SHA-256):
    nothing to do. Each temporary name is new (random), so two uploads of the
    same file at once each write their own copy and rename it into place."""
    base = folder()
    wrote = False
    for relative, data in contents.items():
        path = base / relative
        if path.exists():
            continue
        wrote = True
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{secrets.token_hex(8)}{PART_SUFFIX}")
        try:
            temporary.write_bytes(data)
            os.replace(temporary, path)
        except OSError:
            temporary.unlink(missing_ok=True)
            raise
    return wrote


def site_id():
    """The database id recorded in the upload folder (SITE_ID_FILE), or None if none is."""
    try:
        return (folder() / SITE_ID_FILE).read_text(encoding="ascii").strip() or None
    except FileNotFoundError:
        return None


def write_site_id(database_id):
    """Record the database's id in the upload folder (all or nothing, like an upload)."""
    if database_id is None:
        return
    path = folder() / SITE_ID_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{secrets.token_hex(8)}{PART_SUFFIX}")
    try:
        temporary.write_text(database_id + "\n", encoding="ascii")
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise


def remove(relative_paths):
    """Delete these files of the upload folder, if they are there."""
    base = folder()
    for relative in relative_paths:
        (base / relative).unlink(missing_ok=True)


def paths_of(image):
    """The files of an image (a models.Image, or a row of images_where): the file
    and its thumbnail."""
    return [path for path in (image.path, image.thumbnail_path) if path]


# --- Which files the posts use ------------------------------------------------------------


def write_for_post(session, image, upload):
    """The uploader's half of remove_unused: with the new post's row inserted
    (`image`, its models.Image, flushed but not yet committed), take the file's
    lock and write its files (upload["contents"]: {path: bytes}, see
    upload_storage.describe_upload) unless they are there: another post has
    the same file, and a deleter cannot remove it now. It holds the write lock
    for the few milliseconds of the writing.

    The files it writes go again if the transaction then fails
    (db.after_rollback), unless another post uses them: no file without a
    post. Should that fail too (the database is down), the files stay, and
    `flask prune-uploads` removes them later."""
    if not (upload and upload.get("contents")):
        return
    lock_file(session, image.sha256)
    if site_id() is None:
        # The first upload pairs the folder with this database, for `flask prune-uploads`.
        write_site_id(database_site_id())
    if write_missing(upload["contents"]):
        after_rollback(session, lambda: remove_unused_after_failure(image))


def remove_unused_after_failure(image):
    """Remove the files of a post that was not stored, unless another post uses
    them; if the database cannot say, leave them (and say so in the log)."""
    try:
        remove_unused([image])
    except (SQLAlchemyError, OSError) as error:
        current_app.logger.warning("Could not remove the unused file %s: %s", image.path, error)


def remove_unused(images):
    """Delete the files of these images (models.Image, or rows of images_where)
    that no post uses any more: the other half of write_for_post.

    Files are shared, so "is this SHA-256 still used?" and the unlink must not
    race with a new post of the same file, which could find the file there,
    store its row, and lose the file to us a moment later. So both run inside
    one write transaction that holds each SHA-256's lock (lock_file): on
    SQLite, BEGIN IMMEDIATE already lets one writer in at a time; on
    PostgreSQL, pg_advisory_xact_lock(key of the SHA-256), which the uploader's
    transaction takes too, after inserting its row. Either the uploader goes
    first, and we see its committed row and keep the file; or we go first, and
    the uploader, its turn come, finds the file gone and writes it again from
    memory. The query runs after the locks are taken, so it sees every row
    committed before them.

    Files stored before migration 0006 (no SHA-256) belong to their one post:
    they go at once. Call this once the rows are deleted and committed.
    """
    shared = sorted({image.sha256 for image in images if image.sha256})
    remove(path for image in images if not image.sha256 for path in paths_of(image))
    if not shared:
        return
    with write_transaction() as session:
        for sha256 in shared:  # always in the same order: two deleters never wait for each other
            lock_file(session, sha256)
        used = set(session.scalars(select(Image.sha256).where(Image.sha256.in_(shared)).distinct()))
        unused = [image for image in images if image.sha256 and image.sha256 not in used]
        remove(path for image in unused for path in paths_of(image))


def lock_file(session, sha256):
    """PostgreSQL: take the lock of this SHA-256's file until the transaction ends
    (pg_advisory_xact_lock, keyed on the first 64 bits of the SHA-256). SQLite:
    nothing to do, a write transaction is the only one."""
    if on_postgresql():
        key = int.from_bytes(bytes.fromhex(sha256[:16]), "big", signed=True)
        session.execute(select(func.pg_advisory_xact_lock(key)))


def images_where(session, condition):
    """The images of the posts that match `condition` (about Post), as rows of
    what remove_unused needs, and their size: read them before deleting the posts."""
    query = (
        select(Image.sha256, Image.path, Image.thumbnail_path, Image.size)
        .join(Post, Image.post_id == Post.id)
        .where(condition)
    )
    return session.execute(query).all()


def paths_in_use():
    """Every stored file's path, thumbnails included, as a set (for `flask prune-uploads`)."""
    rows = db.session.execute(select(Image.path, Image.thumbnail_path))
    return {path for row in rows for path in row if path}


def database_site_id():
    """The random id of this database (models.SiteIdentity), or None if it has none."""
    return db.session.scalar(select(SiteIdentity.id))
