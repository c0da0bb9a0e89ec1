"""Step 17: media. Pillow decodes, checks and re-encodes every image; videos are checked by their container.

What a user notices: a post shows a small thumbnail (at most 250 px on its
longest side) that links to the full image, with the file's name, size and
dimensions above it; a photo taken with a phone is upright and no longer tells
the world where it was taken; the same picture posted twice is one file; a
WebM or MP4 video plays in the page. A file that claims billions of pixels, or
that does not decode to the end, is refused with a clear message.

Stored files are read back the way a visitor would get them (through their
addresses on the page) or from the upload folder, and opened with Pillow: what
is checked is the picture that is stored, not what the app says about it.
"""

import hashlib
import io
import math
import re

import imagefactory
import pytest
from forum import (
    BOARD,
    create_thread,
    page,
    post_form,
    post_ids,
    reply,
    staff_client,
    stored_files,
    stored_uploads,
)
from PIL import Image, ImageSequence
from targets import reload_app

pytestmark = pytest.mark.since("17")

MIB = 1024 * 1024
NOT_AN_IMAGE = "This file is not a complete PNG, JPEG, GIF or WebP image."
NOT_A_VIDEO = "This file is not a complete WebM or MP4 video."
ONLY = "Only PNG, JPEG, GIF and WebP images and WebM and MP4 videos can be uploaded."
EMPTY = "The file is empty."


# --- helpers -------------------------------------------------------------------


def alert(response):
    """The text of the page's role="alert" elements: why a form was refused."""
    return " ".join(element.text() for element in page(response).elements if element.get("role") == "alert")


def post_with_file(client, thread_id, filename, data, body="Look!"):
    """Reply with a file through the thread's form; return the new post's id."""
    response = reply(client, thread_id, body, image=(filename, data))
    assert response.status_code == 303, (response.status_code, alert(response))
    return int(re.search(r"#post-(\d+)$", response.headers["Location"]).group(1))


def shown_file(client, thread_id, post_id):
    """What post ``post_id`` shows of its file, as a reader sees it:

    ``text`` (the post's whole text), ``img`` (the attributes of its uploaded
    <img>, or None), ``link`` (where the link around that <img> leads), ``video``
    (the attributes of its <video>, or None)."""
    post = page(client.get(f"/threads/{thread_id}")).find_by_id(f"post-{post_id}")
    assert post is not None, f"no post-{post_id} on the thread page"
    images = [e for e in post.descendants() if e.tag == "img" and e.get("src", "").startswith("/uploads/")]
    videos = [e for e in post.descendants() if e.tag == "video"]
    img = images[0] if images else None
    link = next((node for node in img.ancestors() if node.tag == "a"), None) if img is not None else None
    return {
        "text": post.text(),
        "img": img.attrs if img is not None else None,
        "link": link.get("href") if link is not None else None,
        "video": videos[0].attrs if videos else None,
    }


def opened(data):
    """The image in ``data``, opened by Pillow."""
    return Image.open(io.BytesIO(data))


def size_label(size):
    """A file size as a post shows it: "512 B", "340 KiB" (whole KiB, rounded up), "1.2 MiB"."""
    if size < 1024:
        return f"{size} B"
    if size < MIB:
        return f"{math.ceil(size / 1024)} KiB"
    return f"{size / MIB:.1f} MiB"


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def relative(paths, upload_folder):
    return [path.relative_to(upload_folder).as_posix() for path in paths]


def moderate(staff, action):
    """A moderator's button: POST ``action`` with the staff member's form token."""
    response = post_form(staff, f"/boards/{BOARD}", action, {})
    assert response.status_code == 303, f"{action}: {response.status_code}"


# --- decoding, not only headers -------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "make"),
    [
        ("half.png", imagefactory.png_partly_decodable),  # pixel data stops after half the rows
        ("garbled.png", imagefactory.png_with_corrupt_pixels),  # pixel data that is not zlib at all
    ],
)
def test_an_image_that_does_not_decode_to_the_end_is_refused(client, upload_folder, filename, make):
    """Both files have a perfect structure (every chunk and CRC right), which is all
    step 06's header check looked at; only decoding the pixels shows they are broken."""
    thread_id = create_thread(client)
    before = post_ids(client, thread_id)
    response = reply(client, thread_id, "my words", image=(filename, make()))
    assert {
        "status": response.status_code,
        "says": alert(response),
        "text kept": "my words" in response.get_data(as_text=True),
        "posts": post_ids(client, thread_id),
        "files": stored_files(upload_folder),
    } == {"status": 400, "says": NOT_AN_IMAGE, "text kept": True, "posts": before, "files": []}


PIXEL_CAPS = [
    # (file name, file, the size its header claims): each is refused before decoding.
    pytest.param("bomb.png", imagefactory.png_bomb(60000, 40000), (60000, 40000), id="PNG of 2.4 gigapixels"),
    pytest.param("bomb.gif", imagefactory.gif_bomb(60000, 40000), (60000, 40000), id="GIF screen of 2.4 Gpx"),
    pytest.param("wide.png", imagefactory.png_bomb(10001, 300), (10001, 300), id="PNG 10001 px wide"),
    pytest.param("tall.png", imagefactory.png_bomb(300, 10001), (300, 10001), id="PNG 10001 px high"),
    pytest.param("big.png", imagefactory.png_bomb(8000, 5001), (8000, 5001), id="PNG of 40,008,000 pixels"),
]


@pytest.mark.parametrize(("filename", "data", "size"), PIXEL_CAPS)
def test_an_image_over_the_pixel_caps_is_refused_with_its_size(client, upload_folder, filename, data, size):
    """A few hundred bytes can claim billions of pixels (gigabytes once decoded): the
    caps (40 megapixels, 10,000 px a side) are checked from the header, before any
    decoding, and the message says how big the image claims to be, width then height.
    (The pixel data of these files is a few bytes: had they been decoded, they would
    be refused as incomplete instead.)"""
    thread_id = create_thread(client)
    response = reply(client, thread_id, "my words", image=(filename, data))
    message = alert(response)
    width, height = size
    assert {
        "status": response.status_code,
        "says the size": bool(re.search(rf"\b{width}\b\D+\b{height}\b", message)),
        "files": stored_files(upload_folder),
    } == {"status": 400, "says the size": True, "files": []}, message


def test_the_pixel_caps_are_settings(app):
    """MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE and MAX_ANIMATION_PIXELS (width x height x frames)."""
    client = reload_app(app, MAX_IMAGE_PIXELS=100, MAX_IMAGE_SIDE=20, MAX_ANIMATION_PIXELS=143).test_client()
    thread_id = create_thread(client)
    cases = {
        "10 x 10: 100 pixels": ("a.png", imagefactory.png(10, 10), 303),
        "11 x 10: 101 pixels": ("b.png", imagefactory.png(11, 10), 400),
        "20 x 5: 20 px wide": ("c.png", imagefactory.png(20, 5), 303),
        "21 x 4: 21 px wide": ("d.png", imagefactory.png(21, 4), 400),
        "8 x 6, 2 frames: 96 pixels": ("e.gif", imagefactory.animated_gif(durations=(100, 100)), 303),
        "8 x 6, 3 frames: 144 pixels": ("f.gif", imagefactory.animated_gif(durations=(100, 100, 100)), 400),
    }
    seen = {case: reply(client, thread_id, image=(name, data)).status_code for case, (name, data, _) in
            cases.items()}
    assert seen == {case: status for case, (_, _, status) in cases.items()}


def test_the_media_limits_can_be_set_with_chatsite_environment_variables(app, monkeypatch):
    """CHATSITE_MAX_IMAGE_PIXELS and CHATSITE_MAX_VIDEO_SIZE, like every other setting."""
    monkeypatch.setenv("CHATSITE_MAX_IMAGE_PIXELS", "100")
    monkeypatch.setenv("CHATSITE_MAX_VIDEO_SIZE", "1000")
    client = reload_app(app).test_client()
    thread_id = create_thread(client)
    cases = {
        "10 x 10 PNG": ("a.png", imagefactory.png(10, 10), 303),
        "11 x 10 PNG": ("b.png", imagefactory.png(11, 10), 400),
        "WebM of 1000 bytes": ("c.webm", imagefactory.webm(total_bytes=1000), 303),
        "WebM of 1001 bytes": ("d.webm", imagefactory.webm(total_bytes=1001), 400),
    }
    seen = {case: reply(client, thread_id, image=(name, data)).status_code for case, (name, data, _) in
            cases.items()}
    assert seen == {case: status for case, (_, _, status) in cases.items()}


# --- what decoding may cost: caps on frames and scans, a time limit, flood control ------


def test_the_frame_and_jpeg_scan_caps_are_settings(app):
    """MAX_IMAGE_FRAMES and MAX_JPEG_SCANS: decoding time grows with frames and scans
    (passes over a JPEG's picture), not only with pixels. Both are counted before
    decoding, and the message says the cap."""
    client = reload_app(app, MAX_IMAGE_FRAMES=5, MAX_JPEG_SCANS=3).test_client()
    thread_id = create_thread(client)
    cases = {
        "GIF of 5 frames": ("a.gif", imagefactory.gif_with_many_frames(5), 303, ""),
        "GIF of 6 frames": ("b.gif", imagefactory.gif_with_many_frames(6), 400, "more than 5 frames"),
        "JPEG of 3 scans": ("c.jpg", imagefactory.jpeg_with_many_scans(3), 303, ""),
        "JPEG of 4 scans": ("d.jpg", imagefactory.jpeg_with_many_scans(4), 400, "more than 3 scans"),
    }
    seen = {}
    for case, (name, data, _, says) in cases.items():
        response = reply(client, thread_id, image=(name, data))
        seen[case] = (response.status_code, says in alert(response))
    assert seen == {case: (status, True) for case, (_, _, status, _) in cases.items()}


def test_an_image_that_takes_too_long_to_decode_is_refused(app, upload_folder):
    """Each image is decoded in a child process that is stopped after
    IMAGE_DECODE_TIMEOUT seconds. This JPEG (6000 x 6000 in 5000 nearly empty
    scans, ~220 KB) would take seconds to decode; with the scan cap raised and a
    1-second limit, it is refused, and nothing is stored."""
    client = reload_app(app, IMAGE_DECODE_TIMEOUT=1, MAX_JPEG_SCANS=100_000).test_client()
    thread_id = create_thread(client)
    before = post_ids(client, thread_id)
    slow = imagefactory.jpeg_with_many_scans(5000, 6000, 6000)
    response = reply(client, thread_id, "my words", image=("slow.jpg", slow))
    assert {
        "status": response.status_code,
        "says": "took too long to decode" in alert(response),
        "text kept": "my words" in response.get_data(as_text=True),
        "posts": post_ids(client, thread_id),
        "files": stored_files(upload_folder),
    } == {"status": 400, "says": True, "text kept": True, "posts": before, "files": []}, alert(response)


def test_a_post_refused_for_its_file_counts_toward_flood_control(app):
    """Decoding costs the server: a post refused because of its file counts like a
    stored one, or a visitor could send hostile files one after the other, each
    refusal making the next one free. A post refused for its text does not count."""
    limited = reload_app(app, REPLY_INTERVAL=60)
    thread_id = create_thread(limited.test_client())
    client = limited.test_client()
    statuses = [
        reply(client, thread_id, "a bell\x07").status_code,  # refused for its text: does not count
        reply(client, thread_id, "Look", image=("broken.png", imagefactory.truncated_png())).status_code,
        reply(client, thread_id, "Only words").status_code,  # too soon after the refused file
    ]
    assert statuses == [400, 400, 429]
    assert len(post_ids(client, thread_id)) == 1


def test_a_post_too_soon_is_refused_before_its_file_is_looked_at(app):
    """Flood control comes before the costly part: too soon is 429, whatever the file."""
    limited = reload_app(app, REPLY_INTERVAL=60)
    thread_id = create_thread(limited.test_client())
    client = limited.test_client()
    first = reply(client, thread_id, "First").status_code
    second = reply(client, thread_id, "Look", image=("broken.png", imagefactory.truncated_png())).status_code
    assert (first, second) == (303, 429)


# --- what is stored: the decoded pixels, re-encoded -------------------------------------


def test_a_photo_is_stored_upright_without_its_exif(client, upload_folder):
    """The camera's EXIF (GPS position, serial number, date) is gone from the stored
    file and its thumbnail, read back with Pillow; its orientation was applied
    first, so the 60 x 40 photo tagged "turn 90° clockwise" is stored 40 x 60 with
    its red half on top, as the photographer saw it."""
    thread_id = create_thread(client)
    post_id = post_with_file(client, thread_id, "holiday.jpg", imagefactory.jpeg_with_exif())
    [stored] = stored_uploads(upload_folder)
    data = stored.read_bytes()
    photo = opened(data).convert("RGB")
    thumbnail = client.get(shown_file(client, thread_id, post_id)["img"]["src"]).data
    secrets = [imagefactory.CAMERA_SERIAL, imagefactory.TAKEN_AT, "Example Camera"]

    def colour(pixel):
        return "red" if pixel[0] > 200 > pixel[2] else "blue" if pixel[2] > 200 > pixel[0] else str(pixel)

    assert {
        "type": opened(data).format,
        "size": photo.size,
        "top": colour(photo.getpixel((photo.width // 2, photo.height // 4))),
        "bottom": colour(photo.getpixel((photo.width // 2, photo.height * 3 // 4))),
        "EXIF": dict(opened(data).getexif()),
        "thumbnail's EXIF": dict(opened(thumbnail).getexif()),
        "secrets in the bytes": [text for text in secrets if text.encode() in data + thumbnail],
        "shown as": "holiday.jpg" in shown_file(client, thread_id, post_id)["text"]
        and "40×60" in shown_file(client, thread_id, post_id)["text"],
    } == {
        "type": "JPEG",
        "size": (40, 60),
        "top": "red",
        "bottom": "blue",
        "EXIF": {},
        "thumbnail's EXIF": {},
        "secrets in the bytes": [],
        "shown as": True,
    }


LEFT_OUT = [
    # (file name, file, bytes of it that must not be stored): Pillow stores only the pixels.
    pytest.param("x.png", imagefactory.png_with_script_appended(), b"<script>",
                 id="PNG with a script appended"),
    pytest.param("x.gif", imagefactory.gif_html_polyglot(), b"<html>", id="GIF with an HTML page appended"),
    pytest.param("x.png", imagefactory.png_with_text(), b"Alice Example", id="PNG with a tEXt chunk"),
    pytest.param("x.jpg", imagefactory.jpeg_with_huge_exif(), b"HUGE-EXIF-", id="JPEG with 60 KB of EXIF"),
    pytest.param("x.jpg", imagefactory.jpeg_with_exif(), imagefactory.CAMERA_SERIAL.encode(),
                 id="JPEG with GPS and a serial number"),
]


@pytest.mark.parametrize(("filename", "data", "left_out"), LEFT_OUT)
def test_only_the_pixels_are_stored(client, upload_folder, filename, data, left_out):
    """Whatever rides along with the pixels (a script, a page, text chunks, EXIF) is
    not in the stored file, which is still an image of the same type and size."""
    thread_id = create_thread(client)
    post_with_file(client, thread_id, filename, data)
    [stored] = stored_uploads(upload_folder)
    kept = stored.read_bytes()
    original = opened(data)
    size = original.size if original.format != "JPEG" else opened(kept).size  # a JPEG may be turned upright
    assert (left_out in kept, opened(kept).format, opened(kept).size) == (False, original.format, size)


def test_an_animated_gif_keeps_its_frames_and_its_thumbnail_is_the_first(client, upload_folder):
    """The full file is still an animation (the same frames, durations and loop);
    the thumbnail is one still picture, the first frame (red)."""
    thread_id = create_thread(client)
    post_id = post_with_file(client, thread_id, "anim.gif", imagefactory.animated_gif())
    shown = shown_file(client, thread_id, post_id)
    full = opened(client.get(shown["link"]).data)
    thumbnail = opened(client.get(shown["img"]["src"]).data)
    assert {
        "full": (full.format, full.size, getattr(full, "n_frames", 1), full.info.get("loop")),
        "durations": [frame.info.get("duration") for frame in ImageSequence.Iterator(full)],
        "thumbnail": (thumbnail.format, getattr(thumbnail, "n_frames", 1)),
        "thumbnail's colour": max(range(3), key=lambda n: thumbnail.convert("RGB").getpixel((4, 3))[n]),
    } == {
        "full": ("GIF", imagefactory.ANIMATION_SIZE, 3, 0),
        "durations": list(imagefactory.ANIMATION_DURATIONS),
        "thumbnail": ("JPEG", 1),
        "thumbnail's colour": 0,  # red: the first frame
    }


# --- thumbnails and the file's line -----------------------------------------------------


THUMBNAILS = [
    # (file name, file, its size, its type, its thumbnail's size): longest side 250, never enlarged
    ("wide.png", lambda: imagefactory.png(1000, 400), (1000, 400), "image/png", (250, 100)),
    ("tall.jpg", lambda: imagefactory.picture(400, 1000), (400, 1000), "image/jpeg", (100, 250)),
    ("square.webp", lambda: imagefactory.picture(500, 500, "WEBP"), (500, 500), "image/webp", (250, 250)),
    ("exact.gif", lambda: imagefactory.picture(250, 125, "GIF"), (250, 125), "image/gif", (250, 125)),
    ("tiny.png", imagefactory.png, imagefactory.PNG_SIZE, "image/png", imagefactory.PNG_SIZE),
    ("anim.gif", imagefactory.animated_gif, imagefactory.ANIMATION_SIZE, "image/gif",
     imagefactory.ANIMATION_SIZE),
]


@pytest.mark.parametrize(("filename", "make", "size", "content_type", "thumbnail_size"), THUMBNAILS)
def test_a_post_shows_a_thumbnail_that_links_to_the_full_image(
    client, filename, make, size, content_type, thumbnail_size
):
    """The page shows a JPEG thumbnail whose width and height attributes are its real
    size (the browser keeps its room before it loads: no layout shift); the link
    around it leads to the full image, whose dimensions the post states."""
    thread_id = create_thread(client)
    post_id = post_with_file(client, thread_id, filename, make())
    shown = shown_file(client, thread_id, post_id)
    thumbnail = client.get(shown["img"]["src"])
    full = client.get(shown["link"] or "")
    assert {
        "thumbnail attributes": (shown["img"].get("width"), shown["img"].get("height")),
        "thumbnail": (thumbnail.mimetype, opened(thumbnail.data).size),
        "a file of its own": shown["img"]["src"] != shown["link"],
        "full image": (full.mimetype, opened(full.data).size if full.status_code == 200 else None),
        "says its dimensions": f"{size[0]}×{size[1]}" in shown["text"],
    } == {
        "thumbnail attributes": (str(thumbnail_size[0]), str(thumbnail_size[1])),
        "thumbnail": ("image/jpeg", thumbnail_size),
        "a file of its own": True,
        "full image": (content_type, size),
        "says its dimensions": True,
    }


def test_the_post_names_the_file_escaped_with_its_size_and_dimensions(client, upload_folder):
    """Above the thumbnail: the original name (a link to the full image), then
    "(size, width×height)". The name is the sender's, so it is escaped."""
    name = "<b onmouseover=alert(1)>Orion & me.png"
    thread_id = create_thread(client)
    post_id = post_with_file(client, thread_id, name, imagefactory.png(1000, 400))
    [stored] = stored_uploads(upload_folder)
    html = client.get(f"/threads/{thread_id}").get_data(as_text=True)
    shown = shown_file(client, thread_id, post_id)
    name_link = page(html).link(text=name)
    assert {
        "line": f"{name} ({size_label(stored.stat().st_size)}, 1000×400)" in shown["text"],
        "name links to": name_link.get("href") if name_link is not None else None,
        "escaped": ("<b onmouseover" in html, "&lt;b onmouseover=" in html),
        "alt": shown["img"].get("alt"),
    } == {
        "line": True,
        "name links to": shown["link"],
        "escaped": (False, True),
        "alt": name,
    }, shown["text"]


FILE_SIZES = [
    # (bytes, as the post shows them)
    (512, "512 B"),
    (1023, "1023 B"),
    (1024, "1 KiB"),
    (340 * 1024 - 100, "340 KiB"),  # whole KiB, rounded up
    (340 * 1024 + 1, "341 KiB"),
    (int(1.2 * MIB), "1.2 MiB"),
]


def test_file_sizes_are_shown_in_bytes_kib_and_mib(client):
    """A WebM is stored as it came, so its size is known exactly: the post says
    "(size, WebM video)"."""
    thread_id = create_thread(client)
    shown = {}
    for size, _ in FILE_SIZES:
        post_id = post_with_file(client, thread_id, "clip.webm", imagefactory.webm(total_bytes=size))
        text = shown_file(client, thread_id, post_id)["text"]
        found = re.search(r"clip\.webm \(([^)]*)\)", text)
        shown[size] = found.group(1) if found else text
    assert shown == {size: f"{label}, WebM video" for size, label in FILE_SIZES}


# --- content-addressed storage -------------------------------------------------------------


def test_files_are_stored_under_the_sha256_of_what_is_stored(client, upload_folder):
    """uploads/<first 2 hex digits>/<sha256>.png and .thumb.jpg beside it: the name
    comes from the stored bytes, never from the sender, and the page links to both."""
    thread_id = create_thread(client)
    post_id = post_with_file(client, thread_id, "../../my holiday.png", imagefactory.png(600, 300))
    [stored] = stored_uploads(upload_folder)
    digest = sha256(stored.read_bytes())
    shown = shown_file(client, thread_id, post_id)
    assert {
        "files": relative(stored_files(upload_folder), upload_folder),
        "link": shown["link"],
        "thumbnail": shown["img"]["src"],
    } == {
        "files": sorted([f"{digest[:2]}/{digest}.png", f"{digest[:2]}/{digest}.thumb.jpg"]),
        "link": f"/uploads/{digest[:2]}/{digest}.png",
        "thumbnail": f"/uploads/{digest[:2]}/{digest}.thumb.jpg",
    }


def test_the_same_image_twice_is_one_file_removed_with_its_last_post(app, client, upload_folder):
    """Two posts in two threads with the same picture (under other names) share one file
    and one thumbnail. A refused post with it, and deleting one of the posts, leave
    them in place; deleting the last post that shows them removes both."""
    picture = imagefactory.png(600, 300)
    first_thread = create_thread(client, title="First", body="", image=("a.png", picture))
    second_thread = create_thread(client, title="Second")
    second = post_with_file(client, second_thread, "b.png", picture)
    [first] = post_ids(client, first_thread)
    files = stored_files(upload_folder)
    shown = (shown_file(client, first_thread, first), shown_file(client, second_thread, second))
    urls = [shown[0]["link"], shown[0]["img"]["src"]]

    def served():
        return [client.get(url).status_code for url in urls]

    seen = {
        "files": len(files),
        "same addresses": urls == [shown[1]["link"], shown[1]["img"]["src"]],
    }
    moderator = staff_client(app, "milo")
    moderate(moderator, f"/mod/threads/{second_thread}/lock")
    # A page left open before the lock (a locked thread's page has no reply form).
    refused = post_form(client, f"/boards/{BOARD}", f"/threads/{second_thread}/replies", {"body": "late"},
                        image=("c.png", picture))
    seen["after a refused post"] = (refused.status_code, served(), stored_files(upload_folder) == files)
    moderate(moderator, f"/mod/threads/{first_thread}/delete")
    seen["after deleting the first thread"] = (served(), stored_files(upload_folder) == files)
    moderate(moderator, f"/mod/posts/{second}/delete")
    seen["after deleting the last post"] = (served(), stored_files(upload_folder))
    assert seen == {
        "files": 2,
        "same addresses": True,
        "after a refused post": (403, [200, 200], True),
        "after deleting the first thread": ([200, 200], True),
        "after deleting the last post": ([404, 404], []),
    }


# --- videos ------------------------------------------------------------------------------------


VIDEOS = [
    # (file name, file, type, as the post names it, the bytes stored)
    ("clip.webm", imagefactory.webm, "video/webm", "WebM video", imagefactory.webm),
    ("clip.mp4", imagefactory.mp4, "video/mp4", "MP4 video", lambda: imagefactory.mp4(blanked=True)),
]


def test_an_uploaded_file_opened_on_its_own_has_a_sandboxed_policy_of_its_own(client):
    """A click on a thumbnail opens the full file in the browser's own viewer, which
    styles it with inline CSS that the pages' policy would block. Files get their own
    policy: nothing loads but the file itself, and "sandbox" runs no script at all."""
    thread_id = create_thread(client)
    post_id = post_with_file(client, thread_id, "moon.png", imagefactory.png())
    shown = shown_file(client, thread_id, post_id)
    files = (shown["link"], shown["img"]["src"])  # the full image and its thumbnail
    policies = {url: client.get(url).headers.get("Content-Security-Policy") for url in files}
    assert policies == {
        url: "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"
        for url in policies
    }


@pytest.mark.parametrize(("filename", "make", "content_type", "kind", "stored"), VIDEOS)
def test_a_video_is_shown_with_controls_and_served_for_seeking(
    client, upload_folder, filename, make, content_type, kind, stored
):
    """A WebM or MP4 plays in the page: <video controls preload="metadata"> (only the
    first bytes load until the reader presses play; no autoplay), no thumbnail. It is
    served with its type and nosniff, and a Range request gets just those bytes (206),
    so a reader can seek."""
    thread_id = create_thread(client)
    post_id = post_with_file(client, thread_id, filename, make())
    shown = shown_file(client, thread_id, post_id)
    video = shown["video"] or {}
    served = client.get(video.get("src", "/uploads/none"))
    ranged = client.get(video.get("src", "/uploads/none"), headers={"Range": "bytes=4-7"})
    expected = stored()
    digest = sha256(expected)
    assert {
        "video": {name: video.get(name) for name in ("controls", "preload", "autoplay", "src")},
        "img": shown["img"],
        "says": f"{filename} ({size_label(len(expected))}, {kind})" in shown["text"],
        "served": (served.status_code, served.mimetype, served.headers.get("X-Content-Type-Options")),
        "bytes": served.data == expected,
        "range": (ranged.status_code, ranged.data),
        "files": relative(stored_files(upload_folder), upload_folder),
    } == {
        "video": {
            "controls": "",
            "preload": "metadata",
            "autoplay": None,
            "src": f"/uploads/{digest[:2]}/{digest}.{filename.rsplit('.', 1)[1]}",
        },
        "img": None,
        "says": True,
        "served": (200, content_type, "nosniff"),
        "bytes": True,
        "range": (206, expected[4:8]),
        "files": [f"{digest[:2]}/{digest}.{filename.rsplit('.', 1)[1]}"],
    }, shown["text"]


def test_an_mp4_is_stored_without_its_location_and_other_metadata(client, upload_folder):
    """No transcoding, but the udta and meta boxes (where phones write the place a video
    was shot) become free boxes of the same size full of zeros: every other byte, and so
    every offset the player needs, is unchanged."""
    thread_id = create_thread(client)
    uploaded = imagefactory.mp4()
    post_with_file(client, thread_id, "beach.mp4", uploaded)
    [stored] = stored_uploads(upload_folder)
    kept = stored.read_bytes()
    assert {
        "location": imagefactory.MP4_LOCATION in kept,
        "owner": imagefactory.MP4_TRACK_SECRET in kept,
        "size": len(kept),
        "bytes": kept == imagefactory.mp4(blanked=True),
    } == {"location": False, "owner": False, "size": len(uploaded), "bytes": True}


def test_a_file_that_is_not_a_real_video_is_refused(client, upload_folder):
    """A video is checked by its container: an EBML header whose DocType is webm,
    then a Segment; or MP4 boxes that fit the file, starting with ftyp and an allowed
    brand, with a moov and an mdat. The name's extension must agree with the content."""
    thread_id = create_thread(client)
    before = post_ids(client, thread_id)
    cases = {
        "AVI renamed .webm": ("clip.webm", imagefactory.video_with_wrong_signature(), NOT_A_VIDEO),
        "AVI renamed .mp4": ("clip.mp4", imagefactory.video_with_wrong_signature(), NOT_A_VIDEO),
        "Matroska (not WebM)": ("clip.webm", imagefactory.webm(doctype=b"matroska"), NOT_A_VIDEO),
        "EBML header, no Segment": ("clip.webm", imagefactory.webm()[:40], NOT_A_VIDEO),
        "QuickTime brand": ("clip.mp4", imagefactory.mp4(brand=b"qt  "), NOT_A_VIDEO),
        "MP4 cut short": ("clip.mp4", imagefactory.mp4_truncated(), NOT_A_VIDEO),
        "MP4 without mdat": ("clip.mp4", imagefactory.mp4(with_mdat=False), NOT_A_VIDEO),
        "HTML renamed .mp4": ("clip.mp4", imagefactory.html_page(), NOT_A_VIDEO),
        "0 bytes": ("clip.webm", b"", EMPTY),
        "PNG named .mp4": ("clip.mp4", imagefactory.png(), "The file name says MP4, but it is a PNG image."),
        "WebM named .mp4": ("clip.mp4", imagefactory.webm(), "but it is"),
        # An image's name: checked as an image (not one) or sniffed (a video): either says why.
        "WebM named .png": ("clip.png", imagefactory.webm(), (NOT_AN_IMAGE, "but it is a WEBM video")),
        "WebM named .avi": ("clip.avi", imagefactory.webm(), ONLY),
    }
    seen = {}
    for case, (filename, data, message) in cases.items():
        response = reply(client, thread_id, "my words", image=(filename, data))
        says = message if isinstance(message, tuple) else (message,)
        seen[case] = (response.status_code, any(m in alert(response) for m in says) or alert(response))
    assert {**seen, "posts": post_ids(client, thread_id), "files": stored_files(upload_folder)} == {
        **{case: (400, True) for case in cases},
        "posts": before,
        "files": [],
    }


def test_videos_may_be_up_to_max_video_size_and_images_stay_at_max_image_size(app, client, upload_folder):
    """By default a video may be 16 MiB (an image still 4 MiB, a request 17 MiB);
    MAX_VIDEO_SIZE changes the video limit. The message says the limit in MiB."""
    thread_id = create_thread(client)
    small = reload_app(app, MAX_VIDEO_SIZE=1 * MIB).test_client()
    cases = {
        "WebM of 5 MiB": (client, "a.webm", imagefactory.webm(total_bytes=5 * MIB), 303, ""),
        "MP4 of exactly 16 MiB": (client, "b.mp4", imagefactory.mp4(total_bytes=16 * MIB), 303, ""),
        "WebM of 16 MiB and 1 byte": (client, "c.webm", imagefactory.webm(total_bytes=16 * MIB + 1), 400,
                                      "at most 16 MiB"),
        "PNG of 5 MiB": (client, "d.png", imagefactory.png_of_size(5 * MIB), 400,
                         "Images can be at most 4 MiB; this one is 5 MiB."),
        "MAX_VIDEO_SIZE=1 MiB: WebM of 1 MiB": (small, "e.webm", imagefactory.webm(total_bytes=MIB), 303, ""),
        "MAX_VIDEO_SIZE=1 MiB: MP4 of 1 MiB and 1 byte": (
            small, "f.mp4", imagefactory.mp4(total_bytes=MIB + 1), 400, "at most 1 MiB"
        ),
    }
    seen, messages = {}, {}
    for case, (browser, filename, data, _, says) in cases.items():
        response = reply(browser, thread_id, image=(filename, data))
        messages[case] = alert(response)
        seen[case] = (response.status_code, says in messages[case])
    seen["stored"] = len(stored_uploads(upload_folder))
    expected = {case: (status, True) for case, (*_, status, _) in cases.items()}
    assert seen == {**expected, "stored": 3}, messages


def test_a_request_over_17_mib_gets_a_413(client, upload_folder):
    """MAX_CONTENT_LENGTH is the largest video plus 1 MiB of room for the form's fields."""
    thread_id = create_thread(client)
    huge = imagefactory.webm(total_bytes=17 * MIB + 1)
    response = reply(client, thread_id, "huge", image=("huge.webm", huge))
    assert (response.status_code, "17 MiB" in page(response).text(), stored_files(upload_folder)) == (
        413, True, []
    )


# --- the JSON API ---------------------------------------------------------------------------------


def test_the_api_gives_each_file_its_sha256_and_thumbnail(client, upload_folder):
    """The image object gains "sha256" and "thumbnail_url" (absolute); a video has no
    thumbnail and no width or height (null). Nothing else changes."""
    thread_id = create_thread(client)
    image_post = post_with_file(client, thread_id, "wide.png", imagefactory.png(1000, 400))
    video_post = post_with_file(client, thread_id, "clip.webm", imagefactory.webm())
    [image_file] = [path for path in stored_uploads(upload_folder) if path.suffix == ".png"]
    [video_file] = [path for path in stored_uploads(upload_folder) if path.suffix == ".webm"]
    posts = {post["id"]: post for post in client.get(f"/api/threads/{thread_id}/posts").get_json()["posts"]}
    image_sha, video_sha = sha256(image_file.read_bytes()), sha256(video_file.read_bytes())
    base = "http://localhost/uploads"
    assert {"image": posts[image_post]["image"], "video": posts[video_post]["image"]} == {
        "image": {
            "url": f"{base}/{image_sha[:2]}/{image_sha}.png",
            "content_type": "image/png",
            "size": image_file.stat().st_size,
            "width": 1000,
            "height": 400,
            "original_name": "wide.png",
            "sha256": image_sha,
            "thumbnail_url": f"{base}/{image_sha[:2]}/{image_sha}.thumb.jpg",
        },
        "video": {
            "url": f"{base}/{video_sha[:2]}/{video_sha}.webm",
            "content_type": "video/webm",
            "size": len(imagefactory.webm()),
            "width": None,
            "height": None,
            "original_name": "clip.webm",
            "sha256": video_sha,
            "thumbnail_url": None,
        },
    }


# --- small hostile files: a refusal, never a 500 (issue 18) --------------------------------------

TOO_MANY_PIXELS = "This image has too many pixels"
# Pillow's readers raise their bomb error for these as they read the header: the size we
# could quote is not known, so either reason will do.
BOMB_OR_BROKEN = (NOT_AN_IMAGE, TOO_MANY_PIXELS)


@pytest.mark.parametrize(
    ("filename", "data", "says"),
    [
        pytest.param("frame.gif", imagefactory.gif_frame_larger_than_its_screen(), BOMB_OR_BROKEN,
                     id="GIF frame of 65535 x 65535 on a 1x1 screen"),
        pytest.param("canvas.webp", imagefactory.webp_canvas_bomb(), BOMB_OR_BROKEN,
                     id="WebP canvas of 16383 x 16383 in 82 bytes"),
        pytest.param("fuzzed.gif", imagefactory.gif_with_colours_only_in_its_second_frame(), (NOT_AN_IMAGE,),
                     id="GIF that trips an assertion in Pillow's GIF encoder"),
        pytest.param("nested.mp4", imagefactory.mp4_of_nested_traks(), (NOT_A_VIDEO,),
                     id="MP4 of 2,000 nested trak boxes"),
    ],
)  # fmt: skip
def test_a_small_malformed_file_is_refused_never_a_500(client, upload_folder, filename, data, says):
    """Whatever a decoder or a parser trips on (an error Pillow raises where nobody
    expected it, an assertion in its encoder, boxes nested deeper than Python's stack)
    is a refusal with the usual reason, and nothing is stored."""
    thread_id = create_thread(client)
    before = post_ids(client, thread_id)
    response = reply(client, thread_id, "my words", image=(filename, data))
    reason = any(message in alert(response) for message in says) or alert(response)
    assert (response.status_code, reason, post_ids(client, thread_id), stored_files(upload_folder)) == (
        400,
        True,
        before,
        [],
    )


# --- stored files carry only what the site made (issue 18) ----------------------------------------


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        pytest.param("x.mp4", imagefactory.mp4_with_html_box_at_the_top(), id="MP4 with an html box on top"),
        pytest.param("x.mp4", imagefactory.mp4_with_html_left_in_mdia(), id="MP4 with HTML left in its mdia"),
        pytest.param("x.webm", imagefactory.webm_recording_with_html_after(),
                     id="WebM of unknown size with HTML after its last Cluster"),
        pytest.param("x.webm", imagefactory.webm_with_html_after(), id="WebM with HTML after its Segment"),
    ],
)  # fmt: skip
def test_a_video_with_bytes_that_are_no_box_or_element_is_refused(client, upload_folder, filename, data):
    """A video is stored as sent (an MP4 with its metadata blanked), so every byte of it
    must be part of its container: MP4 boxes of the types an MP4 has at the top, which
    fill the file to its end, and boxes inside moov that fill their box exactly; WebM
    elements of the kinds a Segment and a Cluster hold, to the last byte."""
    thread_id = create_thread(client)
    response = reply(client, thread_id, "my words", image=(filename, data))
    refused = (response.status_code, NOT_A_VIDEO in alert(response))
    assert (refused, stored_files(upload_folder)) == ((400, True), [])


def test_a_webm_recorded_by_a_browser_is_stored_as_it_is(client, upload_folder):
    """MediaRecorder writes a Segment and Clusters of unknown size: each Cluster ends
    where the next one starts, and the Segment at the end of the file."""
    thread_id = create_thread(client)
    post_with_file(client, thread_id, "recording.webm", imagefactory.webm_recording())
    [stored] = stored_uploads(upload_folder)
    assert stored.read_bytes() == imagefactory.webm_recording()


@pytest.mark.parametrize(("filename", "format"), [("x.jpg", "JPEG"), ("x.webp", "WEBP"), ("x.png", "PNG")])
def test_a_colour_profile_is_not_stored(client, upload_folder, filename, format):
    """An ICC colour profile is kilobytes the sender chose (here 4 KB of HTML): the stored
    image, its colours converted to sRGB, carries no profile at all."""
    thread_id = create_thread(client)
    data = imagefactory.with_profile(format, imagefactory.profile_with_html())
    post_with_file(client, thread_id, filename, data)
    [stored] = stored_uploads(upload_folder)
    kept = stored.read_bytes()
    profile = opened(kept).info.get("icc_profile")
    assert (b"<script>" in kept, opened(kept).format, profile) == (False, format, None)


def stored_colour(client, upload_folder, filename, data):
    """Upload ``data``; the colour of the top left pixel of the file stored for it."""
    before = stored_uploads(upload_folder)
    post_with_file(client, create_thread(client), filename, data)
    [stored] = [path for path in stored_uploads(upload_folder) if path not in before]
    return opened(stored.read_bytes()).convert("RGB").getpixel((0, 0))


def test_colours_are_converted_to_srgb_from_the_images_profile(client, upload_folder):
    """The colours a browser would have shown stay: an sRGB image keeps every pixel,
    and pixels whose profile says (200, 30, 30) is a blue are stored blue."""
    srgb = imagefactory.with_profile("PNG", imagefactory.srgb_profile())
    swapped = imagefactory.with_profile("PNG", imagefactory.profile_red_blue_swapped())
    srgb_colour = stored_colour(client, upload_folder, "srgb.png", srgb)
    red, _, blue = stored_colour(client, upload_folder, "swapped.png", swapped)
    assert (srgb_colour, red < 60, blue > 170) == ((200, 30, 30), True, True)
