"""Exercise 17.2 · Break it on purpose: name a file after what was sent.

The check passes while check_upload() names a file after the SHA-256 of the
bytes that were sent rather than of the bytes that are stored: one photo sent
twice with two different EXIF blocks (re-encoded, the same bytes) is then
stored twice, and a file's name no longer says what is in it. The same bytes
sent twice are still one file either way.
"""

import hashlib

import imagefactory
from forum import BOARD, post_form, stored_uploads
from helpers import alert_text

BROKEN_ON_PURPOSE = True


def send(client, title, filename, data):
    """Start a thread with this file, through the board's form."""
    fields = {"title": title, "body": "Look!"}
    answer = post_form(client, f"/boards/{BOARD}", f"/boards/{BOARD}/threads", fields, (filename, data))
    assert answer.status_code == 303, f"{filename} was refused ({answer.status_code}: {alert_text(answer)!r})"


def photo_taken_later():
    """imagefactory's camera photo, with another date in its EXIF: the same pixels, other bytes."""
    photo = imagefactory.jpeg_with_exif()
    later = photo.replace(imagefactory.TAKEN_AT.encode(), b"2020:01:01 00:00:00")
    assert later != photo and len(later) == len(photo)
    return later


def test_one_photo_with_two_exif_blocks_is_now_two_files(client, upload_folder, note):
    """One photo sent twice, with two different dates in its EXIF, is stored as two files with the same bytes.

    Hint: in uploads.py, check_upload() names the file after
    hashlib.sha256(found["data"]), the bytes Pillow wrote. Hash `data`, the
    bytes that were sent, instead.
    """
    send(client, "Taken on the 14th", "photo.jpg", imagefactory.jpeg_with_exif())
    send(client, "The same, later", "photo.jpg", photo_taken_later())
    stored = stored_uploads(upload_folder)
    assert len(stored) == 2, (
        f"{len(stored)} file(s) stored for one photo sent with two EXIF blocks: the name still comes "
        "from the stored bytes, which are the same"
    )
    first, second = (path.read_bytes() for path in stored)
    assert first == second, "the two stored files hold different bytes: are they both re-encoded?"
    note(f"two files of {len(first)} bytes each, byte for byte the same, under two names")


def test_a_files_name_is_no_longer_the_sha256_of_its_content(client, upload_folder):
    """A re-encoded image's name is not the SHA-256 of the bytes stored under it.

    Hint: the same change: the name comes from the bytes sent, and Pillow's new
    file is other bytes.
    """
    send(client, "A photo", "photo.jpg", imagefactory.jpeg_with_exif())
    [stored] = stored_uploads(upload_folder)
    digest = hashlib.sha256(stored.read_bytes()).hexdigest()
    assert stored.stem != digest, f"{stored.name} is still named after the SHA-256 of its own bytes"


def test_still_the_same_bytes_twice_are_one_file(client, upload_folder):
    """The same file sent twice, byte for byte, is still stored once.

    Hint: nothing to do: the same bytes sent give the same SHA-256, whichever
    bytes it is taken from.
    """
    picture = imagefactory.png(600, 300)
    send(client, "First", "a.png", picture)
    send(client, "Second", "b.png", picture)
    stored = stored_uploads(upload_folder)
    assert len(stored) == 1, f"the same PNG sent twice is stored as {len(stored)} files"
