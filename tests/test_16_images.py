"""Step 16: images. Pillow decodes, checks and re-encodes every image, and makes its thumbnail.

What a user notices: a post shows a small thumbnail (at most 250 px on its
longest side) that links to the full image, with the file's name, size and
dimensions above it; a photo taken with a phone is upright and no longer tells
the world where it was taken. A file that claims billions of pixels, or that
does not decode to the end, is refused with a clear message.

Stored files are read back the way a visitor would get them (through their
addresses on the page) or from the upload folder, and opened with Pillow: what
is checked is the picture that is stored, not what the app says about it.
"""

import io
import math
import re

import imagefactory
import pytest
from forum import (
    alert_text,
    create_thread,
    page,
    post_ids,
    reply,
    reply_with_file,
    stored_files,
    stored_uploads,
)
from PIL import Image, ImageSequence
from targets import reload_app

pytestmark = pytest.mark.since("16")

MIB = 1024 * 1024
NOT_AN_IMAGE = "This file is not a complete PNG, JPEG, GIF or WebP image."


# --- helpers -------------------------------------------------------------------


def shown_file(client, thread_id, post_id):
    """What post ``post_id`` shows of its file, as a reader sees it:

    ``text`` (the post's whole text), ``img`` (the attributes of its uploaded
    <img>, or None), ``link`` (where the link around that <img> leads)."""
    post = page(client.get(f"/threads/{thread_id}")).find_by_id(f"post-{post_id}")
    assert post is not None, f"no post-{post_id} on the thread page"
    images = [e for e in post.descendants() if e.tag == "img" and e.get("src", "").startswith("/uploads/")]
    img = images[0] if images else None
    link = next((node for node in img.ancestors() if node.tag == "a"), None) if img is not None else None
    return {
        "text": post.text(),
        "img": img.attrs if img is not None else None,
        "link": link.get("href") if link is not None else None,
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
        "says": alert_text(response),
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
    message = alert_text(response)
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


def test_the_pixel_caps_can_be_set_with_chatsite_environment_variables(app, monkeypatch):
    """CHATSITE_MAX_IMAGE_PIXELS, like every other setting."""
    monkeypatch.setenv("CHATSITE_MAX_IMAGE_PIXELS", "100")
    client = reload_app(app).test_client()
    thread_id = create_thread(client)
    cases = {
        "10 x 10 PNG": ("a.png", imagefactory.png(10, 10), 303),
        "11 x 10 PNG": ("b.png", imagefactory.png(11, 10), 400),
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
        seen[case] = (response.status_code, says in alert_text(response))
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
        "says": "took too long to decode" in alert_text(response),
        "text kept": "my words" in response.get_data(as_text=True),
        "posts": post_ids(client, thread_id),
        "files": stored_files(upload_folder),
    } == {"status": 400, "says": True, "text kept": True, "posts": before, "files": []}, alert_text(response)


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
    post_id = reply_with_file(client, thread_id, "holiday.jpg", imagefactory.jpeg_with_exif())
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
    reply_with_file(client, thread_id, filename, data)
    [stored] = stored_uploads(upload_folder)
    kept = stored.read_bytes()
    original = opened(data)
    size = original.size if original.format != "JPEG" else opened(kept).size  # a JPEG may be turned upright
    assert (left_out in kept, opened(kept).format, opened(kept).size) == (False, original.format, size)


def test_an_animated_gif_keeps_its_frames_and_its_thumbnail_is_the_first(client, upload_folder):
    """The full file is still an animation (the same frames, durations and loop);
    the thumbnail is one still picture, the first frame (red)."""
    thread_id = create_thread(client)
    post_id = reply_with_file(client, thread_id, "anim.gif", imagefactory.animated_gif())
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
    post_id = reply_with_file(client, thread_id, filename, make())
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
    post_id = reply_with_file(client, thread_id, name, imagefactory.png(1000, 400))
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


def test_an_uploaded_file_opened_on_its_own_has_a_sandboxed_policy_of_its_own(client):
    """A click on a thumbnail opens the full file in the browser's own viewer, which
    styles it with inline CSS that the pages' policy would block. Files get their own
    policy: nothing loads but the file itself, and "sandbox" runs no script at all.
    (Step 17 adds media-src 'self' to it, for the browser's video player.)"""
    thread_id = create_thread(client)
    post_id = reply_with_file(client, thread_id, "moon.png", imagefactory.png())
    shown = shown_file(client, thread_id, post_id)
    files = (shown["link"], shown["img"]["src"])  # the full image and its thumbnail
    policies = {url: client.get(url).headers.get("Content-Security-Policy", "") for url in files}
    directives = {url: set(policy.split("; ")) - {"media-src 'self'"} for url, policy in policies.items()}
    expected = {"default-src 'none'", "img-src 'self'", "style-src 'unsafe-inline'", "sandbox"}
    assert directives == {url: expected for url in policies}


# --- the JSON API ---------------------------------------------------------------------------------


def test_the_api_gives_each_image_its_thumbnail(client):
    """The image object gains "thumbnail_url", an absolute address, which serves the
    thumbnail; "url" is the full image, as the page's link, and "size" its stored size."""
    thread_id = create_thread(client)
    post_id = reply_with_file(client, thread_id, "wide.png", imagefactory.png(1000, 400))
    shown = shown_file(client, thread_id, post_id)
    [post] = [post for post in client.get(f"/api/threads/{thread_id}/posts").get_json()["posts"]
              if post["id"] == post_id]
    fields = ("url", "content_type", "size", "width", "height", "original_name", "thumbnail_url")
    image = {field: post["image"].get(field) for field in fields}
    assert image == {
        "url": f"http://localhost{shown['link']}",
        "content_type": "image/png",
        "size": len(client.get(shown["link"]).data),
        "width": 1000,
        "height": 400,
        "original_name": "wide.png",
        "thumbnail_url": f"http://localhost{shown['img']['src']}",
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
    ],
)  # fmt: skip
def test_a_small_malformed_file_is_refused_never_a_500(client, upload_folder, filename, data, says):
    """Whatever a decoder trips on (an error Pillow raises where nobody expected it,
    an assertion in its encoder) is a refusal with the usual reason, and nothing is stored."""
    thread_id = create_thread(client)
    before = post_ids(client, thread_id)
    response = reply(client, thread_id, "my words", image=(filename, data))
    reason = any(message in alert_text(response) for message in says) or alert_text(response)
    assert (response.status_code, reason, post_ids(client, thread_id), stored_files(upload_folder)) == (
        400,
        True,
        before,
        [],
    )


# --- stored files carry only what the site made (issue 18) ----------------------------------------


@pytest.mark.parametrize(("filename", "format"), [("x.jpg", "JPEG"), ("x.webp", "WEBP"), ("x.png", "PNG")])
def test_a_colour_profile_is_not_stored(client, upload_folder, filename, format):
    """An ICC colour profile is kilobytes the sender chose (here 4 KB of HTML): the stored
    image, its colours converted to sRGB, carries no profile at all."""
    thread_id = create_thread(client)
    data = imagefactory.with_profile(format, imagefactory.profile_with_html())
    reply_with_file(client, thread_id, filename, data)
    [stored] = stored_uploads(upload_folder)
    kept = stored.read_bytes()
    profile = opened(kept).info.get("icc_profile")
    assert (b"<script>" in kept, opened(kept).format, profile) == (False, format, None)


def stored_colour(client, upload_folder, filename, data):
    """Upload ``data``; the colour of the top left pixel of the file stored for it."""
    before = stored_uploads(upload_folder)
    reply_with_file(client, create_thread(client), filename, data)
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
