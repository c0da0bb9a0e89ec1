"""Uploaded files, once checked: stored under their SHA-256, kept within each
board's budget, and served back.

What is stored is named by the SHA-256 of the stored bytes (files.py), and
shared by every post with the same file. The boards blueprint describes
uploads (describe_upload) for posting.py, which writes their files in the
post's transaction; the uploads blueprint serves them (send_upload).
"""

import hashlib
from pathlib import PurePosixPath

from flask import abort, current_app, send_from_directory

from . import files, images, posting, videos
from .text_checks import has_hidden_characters, has_visible_character

# What each kind of file is, for describing and for serving it.
MEDIA_TYPES = {**images.IMAGE_TYPES, **videos.VIDEO_TYPES}

# An uploaded file never changes (its name is its content's SHA-256), so browsers
# and proxies may keep it for a year without asking again.
IMMUTABLE_FOR_A_YEAR = 365 * 24 * 60 * 60

# The Content-Security-Policy of an uploaded file opened on its own (send_upload).
UPLOADED_FILE_POLICY = (
    "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"
)


def describe_upload(upload):
    """The description of a checked upload (upload_checks.check_upload) that its
    post keeps, or None for no upload: its files are
    <UPLOAD_FOLDER>/<sha[:2]>/<sha>.<ext> (and an image's thumbnail beside it).

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
        # No "md5": the column stays empty (None) in this step. Step 22's 4chan-compatible
        # API stores it with each upload, and its `flask fill-md5` fills it in for the
        # images stored before (those of this step among them).
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


def keep_board_within_budget(board_slug):
    """Delete the board's least recently active threads while the board is over its
    thread or image budget (BOARD_THREAD_LIMIT, BOARD_UPLOAD_BUDGET), and their
    files (those no other post uses)."""
    config = current_app.config
    posting.prune_board(board_slug, config["BOARD_THREAD_LIMIT"], config["BOARD_UPLOAD_BUDGET"])


def media_type(filename):
    """The content type of a stored file, from its extension; None if it is not ours."""
    extension = PurePosixPath(filename).suffix.lower()
    for info in MEDIA_TYPES.values():
        if extension in info["extensions"]:
            return info["content_type"]
    return None


def send_upload(filename):
    """The response that serves an uploaded file (or thumbnail). send_from_directory
    answers 404 for any path that would leave the upload folder, like ../../app.py,
    and answers Range requests (a video can be played from the middle)."""
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
