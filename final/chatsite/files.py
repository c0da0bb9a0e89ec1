"""The upload folder: files named by their content.

A stored file's name is the SHA-256 of its bytes: "<sha[:2]>/<sha>.<ext>",
and its thumbnail "<sha[:2]>/<sha>.thumb.jpg" beside it (the two-character
folders keep any one folder from holding millions of files). So:

- a name never changes, and never means two different files: browsers and
  proxies may keep a file for a year (upload_storage.send_upload);
- the same file posted twice is stored once, and shared by both posts; it
  is removed only when no post uses it any more (store.remove_unused_files
  says how that is done without races).

Each file is written under a temporary name, then renamed: the rename is
all-or-nothing, so no half-written file ever appears under the real name.
"""

import os
import secrets
from pathlib import Path

from flask import current_app

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
    """The files of an image (store's image dictionary): the file and its thumbnail."""
    return [path for path in (image["path"], image.get("thumbnail_path")) if path]
