"""Security headers on every kind of response, and templates that the CSP allows."""

import re
from pathlib import Path

import imagefactory
import pytest
from forum import create_thread, reply

import chatsite

EXPECTED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


# An uploaded file opened on its own has a policy of its own (upload_storage.py): the
# browser's viewer styles it inline, and "sandbox" runs no script at all.
UPLOADED_FILE_POLICY = (
    "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"
)


def assert_security_headers(response, **expected):
    for name, value in {**EXPECTED_HEADERS, **expected}.items():
        assert response.headers[name] == value, name


@pytest.mark.parametrize(
    "url",
    ["/", "/?letter=ab", "/boards/astronomy", "/search?q=x", "/static/style.css", "/api/boards",
     "/no/such/page", "/api/nothing"],
)
def test_pages_files_json_and_errors_carry_the_headers(client, url):
    assert_security_headers(client.get(url))


def test_threads_redirects_and_uploads_carry_the_headers(client):
    thread_id = create_thread(client)
    assert_security_headers(client.get(f"/threads/{thread_id}"))
    response = reply(client, thread_id, "pic", image=("a.png", imagefactory.png()))
    assert response.status_code == 303
    assert_security_headers(response)
    html = client.get(f"/threads/{thread_id}").get_data(as_text=True)
    [thumbnail] = re.findall(r'<img src="(/uploads/[^"]+)"', html)
    [full] = re.findall(r'<a class="post-image" href="(/uploads/[^"]+)"', html)
    for url in (full, thumbnail):
        served = client.get(url)
        assert served.status_code == 200
        assert_security_headers(served, **{"Content-Security-Policy": UPLOADED_FILE_POLICY})
    assert_security_headers(client.get(f"/api/threads/{thread_id}/posts"))


def test_server_errors_carry_the_headers(app, client):
    @app.get("/test-only/crash")
    def crash():
        raise RuntimeError("boom")

    response = client.get("/test-only/crash")
    assert response.status_code == 500
    assert_security_headers(response)


TEMPLATE_FOLDER = Path(chatsite.__file__).parent / "templates"
TEMPLATES = sorted(TEMPLATE_FOLDER.rglob("*.html"))  # mod/ too
TEMPLATE_NAMES = [t.relative_to(TEMPLATE_FOLDER).as_posix() for t in TEMPLATES]


@pytest.mark.parametrize("template", TEMPLATES, ids=TEMPLATE_NAMES)
def test_templates_have_no_inline_scripts_or_styles(template):
    """The Content-Security-Policy would block them: all styles live in style.css."""
    # Jinja's {# comments #} never reach the page (and may well talk about style="").
    html = re.sub(r"\{#.*?#\}", "", template.read_text(encoding="utf-8"), flags=re.S).lower()
    # Scripts are files of this site, loaded with src= (thread.html's live.js), never code in the page.
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S)
    assert html.count("<script") == len(scripts)
    for attributes, code in scripts:
        assert re.search(r"\ssrc=\"\{\{ url_for\('static', filename='[\w.-]+\.js'\) \}\}\"", attributes)
        assert code.strip() == ""
    assert "<style" not in html
    assert "style=" not in html
    assert not re.search(r"\son[a-z]+=", html)  # onclick= and friends


@pytest.mark.parametrize("template", TEMPLATES, ids=TEMPLATE_NAMES)
def test_every_post_form_carries_the_csrf_field(template):
    html = template.read_text(encoding="utf-8")
    forms = re.findall(r"<form[^>]*>.*?</form>", html, flags=re.S)
    for form in forms:
        if 'method="post"' in form:
            assert '<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">' in form
