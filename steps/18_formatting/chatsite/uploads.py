"""Uploads: check an image or a video, store it under the SHA-256 of its content, serve it back.

Step 16: an image is decoded, checked and saved again by Pillow, with a
thumbnail (images.py), in a child process.

Step 17: a video is checked by its container (videos.py). What is stored is
named after its content: uploads/3f/3f9a...c1.jpg, where 3f9a...c1 is the
SHA-256 of the stored bytes, and the thumbnail beside it, 3f9a...c1.thumb.jpg.
The same file posted twice is stored once; a file is removed only when no
post uses it any more (remove_unused_files).

The blueprint has one page, /uploads/<path>, which serves a stored file.
The boards blueprint calls check_upload() and saved_image() when a form
carries a file; store.py calls write_missing_files() inside the transaction
that stores the post, which is where the files are written; moderation.py
calls remove_unused_files() after it deletes posts.
"""

import hashlib
import math
import os
import sqlite3
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory
from werkzeug.exceptions import ServiceUnavailable

from . import images, videos  # images.py decodes and re-encodes images; videos.py checks videos
from .db import get_db, write_transaction
from .forms import FormError, has_hidden_characters, has_visible_character

# url_prefix: every address of this blueprint starts with /uploads.
bp = Blueprint("uploads", __name__, url_prefix="/uploads")

# Every kind of file we accept: the four kinds of images and the two of videos.
FILE_TYPES = {**images.IMAGE_TYPES, **videos.VIDEO_TYPES}

# A stored file never changes: its name is its content (a new file gets a new
# name), so browsers and proxies may keep it for a year without asking again.
IMMUTABLE_FOR_A_YEAR = 365 * 24 * 60 * 60

# The Content-Security-Policy of an uploaded file opened on its own (uploaded_file).
UPLOADED_FILE_POLICY = (
    "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"
)


def check_upload(upload):
    """Check the form's file field. Return None when no file was chosen, or a dict
    with what to store and what we found. Raise FormError if refused."""
    if upload is None:
        return None
    data = upload.read()
    if not upload.filename and not data:
        return None  # the browser sends an empty, nameless file when none was chosen
    if not upload.filename:
        raise FormError("The file has no name. Please choose an image or video file.")
    if not data:
        raise FormError("The file is empty. Please choose an image or video file.")
    # The name chooses the size limit; the content must then agree with the name.
    kind_by_name = kind_for_filename(upload.filename)
    is_video = kind_by_name in videos.VIDEO_TYPES
    limit = current_app.config["MAX_VIDEO_SIZE" if is_video else "MAX_IMAGE_SIZE"]
    if len(data) > limit:
        what = "Videos" if is_video else "Images"
        raise FormError(f"{what} can be at most {mib(limit)} MiB; this one is {mib(len(data))} MiB.")
    if kind_by_name is None:
        raise FormError("Only PNG, JPEG, GIF and WebP images and WebM and MP4 videos can be uploaded.")
    # The name and the Content-Type are chosen by the sender, so we trust only the bytes.
    found = check_video(data, kind_by_name) if is_video else check_image(data, kind_by_name)
    # The name of the stored file: the SHA-256 of the bytes we store, after
    # re-encoding. The same picture sent twice, even with different EXIF
    # blocks, becomes the same bytes, so the same name: one file.
    found["sha256"] = hashlib.sha256(found["data"]).hexdigest()
    found["name"] = upload.filename
    return found


def check_image(data, kind_by_name):
    """An image, decoded and re-encoded by images.inspect_image (see there); FormError if refused."""
    # A video under an image's name: say what it really is.
    video = videos.inspect_video(data)
    if video is not None:  # "The file name says PNG, but it is a WEBM video."
        raise FormError(f"The file name says {kind_by_name.upper()}, but it is a {video[0].upper()} video.")
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


def check_video(data, kind_by_name):
    """A video, checked by videos.inspect_video; FormError if refused. A video
    has no width, height or thumbnail: knowing them would mean decoding it."""
    found = videos.inspect_video(data)
    if found is None:
        image_kind = images.identify(data)
        if image_kind is not None:  # "The file name says MP4, but it is a PNG image."
            says = kind_by_name.upper()
            raise FormError(f"The file name says {says}, but it is a {image_kind.upper()} image.")
        raise FormError("This file is not a complete WebM or MP4 video.")
    kind, stored = found
    if kind != kind_by_name:
        raise FormError(f"The file name says {kind_by_name.upper()}, but it is a {kind.upper()} video.")
    no_thumbnail = {"thumbnail": None, "thumbnail_width": None, "thumbnail_height": None}
    return {"kind": kind, "data": stored, "width": None, "height": None, **no_thumbnail}


def kind_for_filename(filename):
    """Return the kind whose extensions include this name's extension, else None."""
    extension = os.path.splitext(filename)[1].lower()
    for kind, info in FILE_TYPES.items():
        if extension in info["extensions"]:
            return kind
    return None


def describe_upload(upload):
    """What store.py stores about a checked upload: where its file goes,
    uploads/<ab>/<sha256>.<ext>, and its thumbnail's, <sha256>.thumb.jpg beside it.

    "files" holds the bytes of each file: store.py writes them inside the
    transaction that stores the post (write_missing_files).
    """
    sha256 = upload["sha256"]
    # The first two hex digits are a folder: no folder holds more than about
    # 1/256 of the files.
    path = f"{sha256[:2]}/{sha256}{FILE_TYPES[upload['kind']]['extensions'][0]}"
    files = {path: upload["data"]}
    thumbnail_path = None
    if upload["thumbnail"] is not None:
        thumbnail_path = f"{sha256[:2]}/{sha256}.thumb.jpg"
        files[thumbnail_path] = upload["thumbnail"]
    return {
        "sha256": sha256,
        "path": path,
        "content_type": FILE_TYPES[upload["kind"]]["content_type"],
        "size": len(upload["data"]),
        "width": upload["width"],
        "height": upload["height"],
        "original_name": display_name(upload["name"], upload["kind"]),
        "thumbnail_path": thumbnail_path,
        "thumbnail_width": upload["thumbnail_width"],
        "thumbnail_height": upload["thumbnail_height"],
        "files": files,
    }


def write_missing_files(image):
    """Write each of the image's files that is not in the upload folder yet.

    store.py calls this inside the write transaction that stores the post,
    right after the post's row: the uploader's half of the race-free rule
    (remove_unused_files). A file that is already there holds exactly these
    bytes (its name is their SHA-256): another post stored the same picture.

    Each file is written under a temporary name of its own, then renamed: the
    rename is all-or-nothing, so no half-written file ever appears under the
    real name. Writing holds the database's write lock for the few
    milliseconds it takes; in return, a post that is refused or cannot be
    stored (a busy database: 503) has written nothing at all.
    """
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    for relative_path, content in image["files"].items():
        target = folder / relative_path
        if target.exists():
            continue
        # saved_image() removes the files again if the post is not stored after all.
        image["wrote_files"] = True
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f"{target.name}.{uuid.uuid4().hex}.part")
        try:
            temporary.write_bytes(content)
            os.replace(temporary, target)
        except OSError:
            temporary.unlink(missing_ok=True)
            raise


@contextmanager
def saved_image(upload):
    """Describe a checked upload (or nothing, for None) while the block stores its post.

        with saved_image(upload) as image:
            post = get_store().add_reply(thread, body, image)

    The files are written inside the post's transaction (write_missing_files).
    If the post then fails to be stored after all (its transaction is rolled
    back), the files it wrote are removed again, unless another post uses
    them: remove_unused_files. A post refused before that point (the thread
    was locked meanwhile, flood control, a busy database) wrote nothing.
    """
    image = describe_upload(upload) if upload else None
    try:
        yield image
    except BaseException:
        if image is not None and image.get("wrote_files"):
            remove_unused_files([image])
        raise


def remove_unused_files(images_of_posts):
    """Remove the files (and thumbnails) of these images that no post uses any more.

    `images_of_posts` are dicts with "sha256", "path" and "thumbnail_path", of
    posts that were just deleted (moderation.py) or could not be stored
    (saved_image). Their rows must already be gone: deleted and COMMITted, or
    never stored.

    The race-free rule. A file may belong to several posts, so it goes only
    when no row of `images` has its sha256 any more. The danger is the moment
    between the question and the answer: a deleter asks "is 3f9a... still
    used?" and hears "no"; meanwhile an uploader of the same picture finds the
    file there, skips writing it and stores its row; then the deleter removes
    the file, and the new post shows nothing. So both sides work inside a
    write transaction (BEGIN IMMEDIATE: SQLite lets one writer in at a time):

    - here, the question and the unlink happen inside one write transaction,
      so no row can be added between them;
    - the uploader (store.py), inside its own write transaction, after
      inserting its row, makes sure the files are there (write_missing_files),
      writing them from the bytes it holds if they are missing, even if a
      deleter removed them a moment before.

    Whichever goes first, the other sees its work: if the deleter goes first,
    the uploader finds the file missing and writes it again; if the uploader
    goes first, the deleter finds its row and keeps the file.

    A failure here (the database stays busy, the disk says no) is only logged:
    the posts are deleted either way, and a file nobody links to harms no one.
    """
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    by_sha256 = {image["sha256"]: image for image in images_of_posts}
    db = get_db()
    try:
        with write_transaction(db):
            for sha256, image in by_sha256.items():
                still_used = db.execute("SELECT 1 FROM images WHERE sha256 = ? LIMIT 1", (sha256,)).fetchone()
                if still_used:
                    continue
                for path in (image["path"], image["thumbnail_path"]):
                    if path is not None:
                        (folder / path).unlink(missing_ok=True)
    except (sqlite3.Error, OSError) as error:
        current_app.logger.warning("Could not remove the unused files %s: %s", list(by_sha256), error)


def display_name(filename, kind):
    """The sender's file name, shown on the post and as the image's alt text: no
    folders, no hidden characters, at most 100 characters. (Jinja still escapes it.)"""
    name = filename.replace("\\", "/").split("/")[-1]
    visible = [c for c in name if not has_hidden_characters(c, allow_line_breaks=False)]
    name = "".join(visible)[:100]
    if not has_visible_character(name):
        # Nothing left that shows (300 zero-width spaces and ".png", cut to 100):
        # an empty name would describe nothing, so say what the file is.
        what = "video" if kind in videos.VIDEO_TYPES else "image"
        return what + FILE_TYPES[kind]["extensions"][0]
    return name


@bp.get("/<path:filename>")
def uploaded_file(filename):
    """Serve an uploaded file. send_from_directory answers 404 for any path that
    would leave the upload folder, like ../../app.py. It also answers Range
    requests (206 Partial Content), which a video player uses to seek."""
    kind = kind_for_filename(filename)
    if kind is None:
        abort(404)
    response = send_from_directory(
        current_app.config["UPLOAD_FOLDER"], filename, mimetype=FILE_TYPES[kind]["content_type"]
    )
    # Browsers must treat the file as the type we say, never "sniff" it as HTML.
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
    """What a post's file line says after the name: "1.2 MiB, 1920×1080" for
    an image, "3.4 MiB, WebM video" for a video (_post.html)."""
    if image["width"] is None:
        labels = {info["content_type"]: info["label"] for info in videos.VIDEO_TYPES.values()}
        return f"{file_size(image['size'])}, {labels.get(image['content_type'], 'video')}"
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


def max_video_mib():
    """MAX_VIDEO_SIZE in MiB, for the forms' "up to 16 MiB"."""
    return mib(current_app.config["MAX_VIDEO_SIZE"])


def mib(size):
    """A number of bytes in MiB, for messages: 4194304 is "4", 4718592 is "4.5".
    Rounded up to a tenth, so that one byte over 4 MiB says "4.1", never "4"."""
    return f"{math.ceil(size * 10 / (1024 * 1024)) / 10:g}"
