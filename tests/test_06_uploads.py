"""Step 06: images on posts, checked by content, stored under generated names."""

import re
from datetime import datetime, timezone

import imagefactory
import pytest
from forum import (
    create_thread,
    field_labels,
    full_image_urls_in,
    image_urls_in,
    page,
    post_form,
    post_ids,
    reply,
    stored_files,
    stored_uploads,
    thread_ids_on_board,
)

pytestmark = pytest.mark.since("06")

VALID_IMAGES = [
    ("photo.png", imagefactory.png, "image/png", imagefactory.PNG_SIZE),
    ("photo.jpg", imagefactory.jpeg, "image/jpeg", imagefactory.JPEG_SIZE),
    ("photo.JPEG", imagefactory.jpeg, "image/jpeg", imagefactory.JPEG_SIZE),
    ("anim.gif", imagefactory.gif, "image/gif", imagefactory.GIF_SIZE),
    ("pic.webp", imagefactory.webp, "image/webp", imagefactory.WEBP_SIZE),
]

REFUSED_UPLOADS = [
    ("drawing.svg", imagefactory.svg_with_script(), "Only PNG, JPEG, GIF and WebP"),
    ("page.png", imagefactory.html_page(), "not a complete"),
    ("notes.png", b"just some text, honest", "not a complete"),
    ("x.gif", imagefactory.gif_header_with_script(), "not a complete"),
    ("photo.gif", imagefactory.png(), "the file name says GIF, but it is a PNG image"),
    ("empty.png", b"", "The file is empty"),
    ("", imagefactory.png(), "The file has no name"),
    ("cut.png", imagefactory.truncated_png(), "not a complete"),
    ("script.py", b"print('hi')", "Only PNG, JPEG, GIF and WebP"),
]


def image_urls(client, thread_id):
    """The addresses of the images a thread page shows (from step 16: their thumbnails)."""
    return image_urls_in(client.get(f"/threads/{thread_id}"))


def full_image_urls(client, thread_id):
    """The addresses of the full images a thread page shows (or links to, from step 16)."""
    return full_image_urls_in(client.get(f"/threads/{thread_id}"))


def request_limit_says(app):
    """The start of what a 413 says about MAX_CONTENT_LENGTH, with the app's own limits
    (5 and 4 MiB until step 16; step 17 makes room for videos: 17 MiB)."""
    mib = 1024 * 1024
    limit, image_limit = app.config["MAX_CONTENT_LENGTH"] // mib, app.config["MAX_IMAGE_SIZE"] // mib
    return f"That request was larger than {limit} MiB in all (images can be up to {image_limit} MiB"


def test_forms_have_a_labelled_image_field(client):
    thread_id = create_thread(client)
    for url in ("/boards/astronomy", f"/threads/{thread_id}"):
        shown = page(client.get(url))
        form = shown.form_with("image")
        assert form is not None
        assert (form.method, form.enctype) == ("post", "multipart/form-data")
        assert form.fields["image"].get("type") == "file"
        assert field_labels(form, shown).get("image", "").split(" ")[0] == "Image"


@pytest.mark.parametrize(("filename", "make", "content_type", "size"), VALID_IMAGES)
def test_reply_with_image_is_shown_and_served(client, filename, make, content_type, size):
    """The image is shown with its name as alt text and its size (these small images are
    never enlarged, so from step 16 their thumbnails have the same size), and served with
    its type and nosniff."""
    thread_id = create_thread(client)
    data = make()
    assert reply(client, thread_id, "Look!", image=(filename, data)).status_code == 303
    [url] = full_image_urls(client, thread_id)
    served = client.get(url)
    assert served.status_code == 200
    assert served.mimetype == content_type
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    [src] = image_urls(client, thread_id)
    [image] = [img for img in page(client.get(f"/threads/{thread_id}")).images() if img.get("src") == src]
    assert image.get("alt") == filename
    assert (image.get("width"), image.get("height")) == (str(size[0]), str(size[1]))


@pytest.mark.until("15")
@pytest.mark.parametrize(("filename", "make", "content_type", "size"), VALID_IMAGES)
def test_the_stored_image_is_the_uploaded_file_byte_for_byte(client, filename, make, content_type, size):
    """Until step 15 an accepted image is stored as it came. Step 16 stores what Pillow
    decoded and saved again instead (test_16_images: only the pixels are stored)."""
    thread_id = create_thread(client)
    data = make()
    assert reply(client, thread_id, "Look!", image=(filename, data)).status_code == 303
    [url] = full_image_urls(client, thread_id)
    assert client.get(url).data == data


@pytest.mark.until("16")
def test_image_is_stored_under_a_generated_name_in_board_year_month(client, upload_folder):
    """Until step 16: uploads/<board>/<year>/<month>/<random>.png (from step 16 with its
    thumbnail beside it). Step 17 names a file after the SHA-256 of its content
    (test_17_video: files are stored under their sha256)."""
    thread_id = create_thread(client)
    reply(client, thread_id, image=("../../my holiday.png", imagefactory.png()))
    [stored] = stored_uploads(upload_folder)
    now = datetime.now(timezone.utc)
    relative = stored.relative_to(upload_folder).as_posix()
    assert re.fullmatch(rf"astronomy/{now:%Y}/{now:%m}/[0-9a-f]{{32}}\.png", relative)
    assert full_image_urls(client, thread_id) == [f"/uploads/{relative}"]


def test_two_uploads_with_the_same_name_do_not_clash(client, upload_folder):
    thread_id = create_thread(client)
    reply(client, thread_id, image=("same.png", imagefactory.png(2, 2)))
    reply(client, thread_id, image=("same.png", imagefactory.png(3, 3)))
    assert len(stored_uploads(upload_folder)) == 2
    assert len(set(full_image_urls(client, thread_id))) == 2


def test_reply_with_only_an_image_is_accepted(client):
    thread_id = create_thread(client)
    assert reply(client, thread_id, "", image=("a.png", imagefactory.png())).status_code == 303
    assert len(image_urls(client, thread_id)) == 1


def test_reply_with_neither_text_nor_image_is_refused(client, upload_folder):
    thread_id = create_thread(client)
    response = reply(client, thread_id, "", image=("", b""))
    assert response.status_code == 400
    assert "Please write a message or choose an image" in response.get_data(as_text=True)
    assert post_ids(client, thread_id) == post_ids(client, thread_id)[:1]


def test_no_file_chosen_is_just_a_text_reply(client, upload_folder):
    thread_id = create_thread(client)
    assert 'name="image"' in client.get(f"/threads/{thread_id}").get_data(as_text=True)
    assert reply(client, thread_id, "text only", image=("", b"")).status_code == 303
    assert image_urls(client, thread_id) == []
    assert stored_files(upload_folder) == []


def test_new_thread_can_start_with_an_image(client, upload_folder):
    thread_id = create_thread(client, body="", image=("start.gif", imagefactory.gif()))
    assert len(image_urls(client, thread_id)) == 1
    assert len(stored_uploads(upload_folder)) == 1


@pytest.mark.parametrize(("filename", "content", "message"), REFUSED_UPLOADS)
def test_bad_upload_is_refused_with_text_kept_and_nothing_stored(
    client, upload_folder, filename, content, message
):
    thread_id = create_thread(client)
    before = post_ids(client, thread_id)
    response = reply(client, thread_id, "my words", image=(filename, content))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message.lower() in html.lower()
    assert "my words" in html
    assert post_ids(client, thread_id) == before
    assert stored_files(upload_folder) == []


def test_the_text_is_checked_before_the_file(client):
    """Checking text is cheap, checking a file is not (from step 16 it is decoded):
    a post whose text is refused is refused for its text, before its file is
    looked at; with its text right, the same file is refused for itself."""
    thread_id = create_thread(client)
    broken = ("broken.png", imagefactory.truncated_png())
    fields = {"title": "", "body": "Hi"}
    no_title = post_form(client, "/boards/astronomy", "/boards/astronomy/threads", fields, broken)
    no_title = no_title.get_data(as_text=True)
    odd_body = reply(client, thread_id, "a bell\x07", image=broken).get_data(as_text=True)
    good_text = reply(client, thread_id, "fine words", image=broken)
    assert {
        "thread": ("Please give your thread a title." in no_title, "not a complete" in no_title),
        "reply": ("cannot contain control" in odd_body, "not a complete" in odd_body),
        "with good text": (good_text.status_code, "not a complete" in good_text.get_data(as_text=True)),
    } == {"thread": (True, False), "reply": (True, False), "with good text": (400, True)}


@pytest.mark.parametrize(("filename", "content", "message"), REFUSED_UPLOADS[:3])
def test_bad_upload_on_a_new_thread_keeps_the_title(client, upload_folder, filename, content, message):
    fields = {"title": "My title", "body": "my words"}
    response = post_form(
        client, "/boards/astronomy", "/boards/astronomy/threads", fields, (filename, content)
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message.lower() in html.lower()
    assert page(html).form_with("title").fields["title"].get("value") == "My title"
    assert stored_files(upload_folder) == []
    assert thread_ids_on_board(client) == []


MIB = 1024 * 1024


def test_an_image_of_exactly_4_mib_is_accepted(client):
    thread_id = create_thread(client)
    big = imagefactory.png_of_size(4 * MIB)
    assert reply(client, thread_id, "big one", image=("big.png", big)).status_code == 303
    [url] = full_image_urls(client, thread_id)
    served = client.get(url)
    assert (served.status_code, served.mimetype) == (200, "image/png")


def test_a_real_photo_of_2_mib_is_accepted(client):
    """A photo's bytes look random. Werkzeug reads a form 64 KiB at a time and holds
    each read (with the few bytes kept from the read before) to MAX_FORM_MEMORY_SIZE,
    the limit meant for text fields: set to exactly 64 KiB, it refused photos like
    this one with a 413, while the mostly-zero test images above went through."""
    thread_id = create_thread(client)
    photo = imagefactory.noisy_photo()
    assert reply(client, thread_id, "Taken tonight", image=("photo.jpg", photo)).status_code == 303
    [url] = full_image_urls(client, thread_id)
    served = client.get(url)
    assert (served.status_code, served.mimetype) == (200, "image/jpeg")


@pytest.mark.parametrize(("size", "shown"), [(4 * MIB + 1, "4.1"), (4 * MIB + MIB // 2, "4.5")])
def test_an_image_over_4_mib_is_refused_with_the_form_again(client, upload_folder, size, shown):
    thread_id = create_thread(client)
    response = reply(client, thread_id, "big one", image=("big.png", imagefactory.png_of_size(size)))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f"Images can be at most 4 MiB; this one is {shown} MiB." in html
    assert "big one" in html
    assert stored_files(upload_folder) == []
    assert len(post_ids(client, thread_id)) == 1


def test_a_request_over_max_content_length_gets_a_friendly_413(app, client, upload_folder):
    """5 MiB until step 16, 17 MiB from step 17 (room for a 16 MiB video)."""
    thread_id = create_thread(client)
    huge = imagefactory.png_of_size(app.config["MAX_CONTENT_LENGTH"] + 1)
    response = reply(client, thread_id, "huge one", image=("huge.png", huge))
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert request_limit_says(app) in html
    assert "Nothing was posted." in html
    assert stored_files(upload_folder) == []
    assert len(post_ids(client, thread_id)) == 1


def test_a_text_field_too_long_gets_a_413_that_says_so(client):
    thread_id = create_thread(client)
    # image=("", b""): no file chosen, but the form is sent as multipart, as a browser does.
    response = reply(client, thread_id, "x" * 100 * 1024, image=("", b""))
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "That form had a text field longer than this site accepts, or too many parts." in html
    assert "in all" not in html
    assert len(post_ids(client, thread_id)) == 1


def test_size_limits_are_configurable(app, client, upload_folder):
    app.config["MAX_IMAGE_SIZE"] = 1 * MIB
    app.config["MAX_CONTENT_LENGTH"] = 2 * MIB
    thread_id = create_thread(client)
    assert "up to 1 MiB" in client.get(f"/threads/{thread_id}").get_data(as_text=True)
    response = reply(client, thread_id, image=("medium.png", imagefactory.png_of_size(MIB + 10)))
    assert response.status_code == 400
    assert "at most 1 MiB" in response.get_data(as_text=True)
    response = reply(client, thread_id, image=("large.png", imagefactory.png_of_size(2 * MIB + 10)))
    assert response.status_code == 413
    assert "larger than 2 MiB in all (images can be up to 1 MiB" in response.get_data(as_text=True)
    assert stored_files(upload_folder) == []


@pytest.mark.parametrize(
    "path",
    [
        "/uploads/../app.py",
        "/uploads/..%2f..%2fapp.py",
        "/uploads/%2e%2e/%2e%2e/app.py",
        "/uploads/astronomy/../../../../etc/passwd",
        "/uploads//etc/passwd",
        "/uploads/nothing-here.png",
    ],
)
def test_paths_outside_the_upload_folder_are_404(client, path):
    thread_id = create_thread(client)
    reply(client, thread_id, image=("ok.png", imagefactory.png()))
    assert client.get(image_urls(client, thread_id)[0]).status_code == 200
    assert client.get(path, follow_redirects=True).status_code == 404


def test_only_images_are_served_from_the_upload_folder(client, upload_folder):
    thread_id = create_thread(client)
    reply(client, thread_id, image=("ok.png", imagefactory.png()))
    (upload_folder / "notes.html").write_text("<script>alert(1)</script>")
    assert client.get("/uploads/notes.html").status_code == 404


def test_file_name_is_escaped_in_alt_text(client):
    thread_id = create_thread(client)
    name = "<img src=x onerror=alert(1)>.png"
    reply(client, thread_id, image=(name, imagefactory.png()))
    html = client.get(f"/threads/{thread_id}").get_data(as_text=True)
    assert "<img src=x" not in html
    assert 'alt="&lt;img src=x onerror=alert(1)&gt;.png"' in html


def test_a_reply_with_an_image_to_a_full_thread_stores_nothing(app, client, upload_folder):
    app.config["REPLY_LIMIT"] = 1
    thread_id = create_thread(client)
    assert reply(client, thread_id, "the last one", image=("last.png", imagefactory.png())).status_code == 303
    [last_image] = stored_uploads(upload_folder)
    files = stored_files(upload_folder)
    before = post_ids(client, thread_id)
    fields = {"body": "one too many"}
    image = ("late.png", imagefactory.png(5, 5))
    response = post_form(client, "/boards/astronomy", f"/threads/{thread_id}/replies", fields, image)
    assert response.status_code == 403
    assert post_ids(client, thread_id) == before
    assert stored_files(upload_folder) == files


def test_uploads_are_cached_for_a_year_and_only_for_this_site(client):
    """A stored image never changes (a new upload gets a new name): browsers and
    proxies may keep it for a year without asking again. Other sites' pages may
    not embed it."""
    thread_id = create_thread(client)
    reply(client, thread_id, image=("cached.png", imagefactory.png()))
    [url] = image_urls(client, thread_id)
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
