"""Step 17: video, and files named by their content.

What a user notices: a WebM or MP4 video plays in the page, in a player that
starts only when asked; the same picture posted twice is one file, which stays
while a post shows it. A file that is not a real video is refused with a
clear message, and a video may be larger than an image.

Stored files are read back the way a visitor would get them (through their
addresses on the page) or from the upload folder: what is checked is the file
that is stored, not what the app says about it.
"""

import hashlib
import math
import re

import imagefactory
import pytest
from forum import (
    BOARD,
    alert_text,
    create_thread,
    page,
    post_form,
    post_ids,
    reply,
    reply_with_file,
    staff_client,
    stored_files,
    stored_uploads,
)
from targets import reload_app

pytestmark = pytest.mark.since("17")

MIB = 1024 * 1024
NOT_AN_IMAGE = "This file is not a complete PNG, JPEG, GIF or WebP image."
NOT_A_VIDEO = "This file is not a complete WebM or MP4 video."
ONLY = "Only PNG, JPEG, GIF and WebP images and WebM and MP4 videos can be uploaded."
EMPTY = "The file is empty."


# --- helpers -------------------------------------------------------------------


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


# --- settings ------------------------------------------------------------------------------


def test_the_video_size_limit_can_be_set_with_a_chatsite_environment_variable(app, monkeypatch):
    """CHATSITE_MAX_VIDEO_SIZE, like every other setting."""
    monkeypatch.setenv("CHATSITE_MAX_VIDEO_SIZE", "1000")
    client = reload_app(app).test_client()
    thread_id = create_thread(client)
    cases = {
        "WebM of 1000 bytes": ("c.webm", imagefactory.webm(total_bytes=1000), 303),
        "WebM of 1001 bytes": ("d.webm", imagefactory.webm(total_bytes=1001), 400),
    }
    seen = {case: reply(client, thread_id, image=(name, data)).status_code for case, (name, data, _) in
            cases.items()}
    assert seen == {case: status for case, (_, _, status) in cases.items()}


# --- the file's line -----------------------------------------------------------------------


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
        post_id = reply_with_file(client, thread_id, "clip.webm", imagefactory.webm(total_bytes=size))
        text = shown_file(client, thread_id, post_id)["text"]
        found = re.search(r"clip\.webm \(([^)]*)\)", text)
        shown[size] = found.group(1) if found else text
    assert shown == {size: f"{label}, WebM video" for size, label in FILE_SIZES}


# --- content-addressed storage -------------------------------------------------------------


def test_files_are_stored_under_the_sha256_of_what_is_stored(client, upload_folder):
    """uploads/<first 2 hex digits>/<sha256>.png and .thumb.jpg beside it: the name
    comes from the stored bytes, never from the sender, and the page links to both."""
    thread_id = create_thread(client)
    post_id = reply_with_file(client, thread_id, "../../my holiday.png", imagefactory.png(600, 300))
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
    second = reply_with_file(client, second_thread, "b.png", picture)
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


@pytest.mark.parametrize(("filename", "make", "content_type", "kind", "stored"), VIDEOS)
def test_a_video_is_shown_with_controls_and_served_for_seeking(
    client, upload_folder, filename, make, content_type, kind, stored
):
    """A WebM or MP4 plays in the page: <video controls preload="metadata"> (only the
    first bytes load until the reader presses play; no autoplay), no thumbnail. It is
    served with its type and nosniff, and a Range request gets just those bytes (206),
    so a reader can seek. Opened on its own, the browser's player may play it: the
    files' policy of step 16 gains media-src 'self'."""
    thread_id = create_thread(client)
    post_id = reply_with_file(client, thread_id, filename, make())
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
        "policy": served.headers.get("Content-Security-Policy"),
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
        "policy": "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox",
        "files": [f"{digest[:2]}/{digest}.{filename.rsplit('.', 1)[1]}"],
    }, shown["text"]


def test_an_mp4_is_stored_without_its_location_and_other_metadata(client, upload_folder):
    """No transcoding, but the udta and meta boxes (where phones write the place a video
    was shot) become free boxes of the same size full of zeros: every other byte, and so
    every offset the player needs, is unchanged."""
    thread_id = create_thread(client)
    uploaded = imagefactory.mp4()
    reply_with_file(client, thread_id, "beach.mp4", uploaded)
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
        said = alert_text(response)
        seen[case] = (response.status_code, any(m in said for m in says) or said)
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
        messages[case] = alert_text(response)
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
    image_post = reply_with_file(client, thread_id, "wide.png", imagefactory.png(1000, 400))
    video_post = reply_with_file(client, thread_id, "clip.webm", imagefactory.webm())
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


def test_an_mp4_of_deeply_nested_boxes_is_refused_never_a_500(client, upload_folder):
    """Boxes nested deeper than Python's stack (2,000 trak boxes, each inside the one
    before, in 16 KB) are a refusal with the usual reason, and nothing is stored."""
    thread_id = create_thread(client)
    before = post_ids(client, thread_id)
    response = reply(client, thread_id, "my words", image=("nested.mp4", imagefactory.mp4_of_nested_traks()))
    assert (response.status_code, NOT_A_VIDEO in alert_text(response), post_ids(client, thread_id),
            stored_files(upload_folder)) == (400, True, before, [])



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
    refused = (response.status_code, NOT_A_VIDEO in alert_text(response))
    assert (refused, stored_files(upload_folder)) == ((400, True), [])


def test_a_webm_recorded_by_a_browser_is_stored_as_it_is(client, upload_folder):
    """MediaRecorder writes a Segment and Clusters of unknown size: each Cluster ends
    where the next one starts, and the Segment at the end of the file."""
    thread_id = create_thread(client)
    reply_with_file(client, thread_id, "recording.webm", imagefactory.webm_recording())
    [stored] = stored_uploads(upload_folder)
    assert stored.read_bytes() == imagefactory.webm_recording()
