"""Exercise 06.3 · Accept BMP images: a real BMP is accepted, a fake one is not."""

import struct

import imagefactory
from forum import create_thread, image_urls_in, page, post_form, stored_files


def bmp(width=3, height=2):
    """A valid 24-bit BMP: a 14-byte file header, a 40-byte info header, then the pixels."""
    row = b"\x00\x00\xff" * width
    row += bytes(-len(row) % 4)  # each row is padded to a multiple of 4 bytes
    pixels = row * height
    offset = 14 + 40
    file_header = b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset)
    info_header = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    return file_header + info_header + pixels


def send(client, filename, data):
    fields = {"title": "A picture", "body": "See?"}
    return post_form(client, "/boards/astronomy", "/boards/astronomy/threads", fields, (filename, data))


def test_a_bmp_image_is_accepted_shown_and_served(client):
    """A real BMP (3 by 2 pixels, named pic.bmp) is accepted, shown at 3 by 2, and served as image/bmp.

    Hint: add "bmp": {"content_type": "image/bmp", "extensions": (".bmp",)} to
    IMAGE_TYPES in images.py, and "bmp": _bmp_size to the checks of inspect_image.
    """
    picture = bmp()
    response = send(client, "pic.bmp", picture)
    assert response.status_code == 303, f"pic.bmp was refused ({response.status_code})"
    thread_id = create_thread(client, title="Another", image=("other.bmp", picture))
    [image] = page(client.get(f"/threads/{thread_id}")).images()
    assert (image.get("width"), image.get("height")) == ("3", "2"), "the <img> is not 3 by 2"
    [address] = image_urls_in(client.get(f"/threads/{thread_id}"))
    served = client.get(address)
    assert (served.status_code, served.mimetype) == (200, "image/bmp"), f"{address}: {served.status}"
    assert served.data == picture


def test_still_text_that_starts_with_bm_is_refused(client, upload_folder):
    """Text that starts with "BM" is still refused, even when named notes.bmp: nothing is stored.

    Hint: _bmp_size must check more than the first two bytes: the length at
    bytes 2 to 5 must be the file's own length (struct.unpack("<I", data[2:6])).
    """
    response = send(client, "notes.bmp", b"BM, said the text, and went on for a while.")
    assert response.status_code == 400, f"notes.bmp was accepted ({response.status_code})"
    assert stored_files(upload_folder) == []


def test_still_a_bmp_shorter_than_it_says_is_refused(client, upload_folder):
    """A BMP cut short (its header says more bytes than there are) is still refused.

    Hint: compare struct.unpack("<I", data[2:6])[0] with len(data).
    """
    response = send(client, "cut.bmp", bmp()[:-5])
    assert response.status_code == 400, f"cut.bmp was accepted ({response.status_code})"
    # A real image of another kind named .bmp is refused too.
    assert send(client, "photo.bmp", imagefactory.png()).status_code == 400
    assert stored_files(upload_folder) == []
