"""What the tests of steps 11 to 14 share: logged-in staff, and the staff's pages read like a person.

Staff accounts (step 11), the CSRF guard and the security headers (step 12),
the moderators' tools and reports (step 13) and flood control (step 14) are
tested in four files that need the same browsers and the same reading of
pages. They are here, once. A test module uses the fixtures by importing them::

    from staff import admin, moderator  # noqa: F401 - fixtures

Hashing a password costs about a tenth of a second, so each test makes the few
accounts it needs once. The moderators' dashboard of step 23 is read here too:
its charts (charts_in) and the tables of their numbers (tables).
"""

import re
import xml.etree.ElementTree as ET

import pytest
from forum import BOARD, login_redirect_next, page, post_form, staff_client, submit

WRONG = "Wrong username or password."
EMPTY = "Enter your username and password."
EXPIRED = "This form has expired. Please reload the page and try again."
THANKS = "Thank you: a moderator will look at your report."
LOCKED = "This thread is locked."

# The audit log's actions (step 13), exactly as the log page writes them.
ACTIONS = (
    "delete post", "delete thread", "lock thread", "unlock thread", "pin thread", "unpin thread",
    "move thread", "dismiss report", "create user", "change role", "disable user", "enable user",
)

# Every answer's headers from step 12 on (an uploaded file's policy changes in step 17).
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


@pytest.fixture
def moderator(app):
    """A browser logged in as the moderator "milo"."""
    return staff_client(app, "milo")


@pytest.fixture
def admin(app):
    """A browser logged in as the admin "ann"."""
    return staff_client(app, "ann", "admin")


def text_of(response):
    return page(response).text()


def status_text(response):
    """The text of the page's role="status" elements (flashed notes, "locked")."""
    return " ".join(e.text() for e in page(response).elements if e.get("role") == "status")


def act(client, action, fields=None):
    """POST to ``action`` with this browser's csrf token, if the site has them (taken
    from a board page, whose new-thread form every visitor sees): a request a page's
    form would send."""
    return post_form(client, f"/boards/{BOARD}", action, fields or {})


def post_form_actions(response):
    """The actions of the page's POST forms, in page order."""
    return [form.action for form in page(response).forms() if form.method == "post"]


def is_anonymous(client):
    """True when this browser is a visitor: /mod/ sends it to the login page."""
    return login_redirect_next(client.get("/mod/")) == "/mod/"


def client_at(app, address):
    """A new browser that comes from the IP address ``address``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def replay(app, cookie_value):
    """A new browser that sends a copy of someone's session cookie, as it was when copied."""
    copy = app.test_client()
    copy.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie_value)
    return copy


def cookie_attributes(response, name):
    """The attributes of the Set-Cookie for ``name``: {"httponly": "", "samesite": "Lax", ...}."""
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")]
    pairs = (part.strip().partition("=") for part in cookie.split(";")[1:])
    return {key.lower(): value for key, _, value in pairs}


# --- the moderators' pages (step 13 on) -----------------------------------------------


def logged_actions(staff):
    """The actions on the audit log page, in page order (newest first)."""
    text = text_of(staff.get("/mod/log"))
    return re.findall(r"\b(" + "|".join(ACTIONS) + r")\b", text)


def report(client, post_id, reason="spam", details=""):
    """Report a post through its report form; return the answer."""
    url = f"/posts/{post_id}/report"
    return submit(client, url, url, {"reason": reason, "details": details})


def open_report_ids(staff):
    """The ids of the open reports, in the queue's order (from its Dismiss forms)."""
    actions = post_form_actions(staff.get("/mod/reports"))
    return [int(m.group(1)) for a in actions if (m := re.fullmatch(r"/mod/reports/(\d+)/dismiss", a))]


def reported_posts(staff):
    """The posts the report queue links to (/threads/T#post-P), in its order, as P."""
    links = page(staff.get("/mod/reports")).hrefs()
    return [int(m.group(1)) for h in links if (m := re.fullmatch(r"/threads/\d+#post-(\d+)", h))]


# --- forms and headers (step 12 on) ------------------------------------------------------


def refused_without_token(browser, action, fields):
    """Send a form to ``action`` with no token, then with a wrong one: for each, the
    status and whether the page says the form has expired."""
    seen = {}
    for token in ("none", "wrong"):
        data = dict(fields) if token == "none" else {**fields, "csrf_token": "x" * 43}
        response = browser.post(action, data=data)
        seen[token] = (response.status_code, EXPIRED in text_of(response))
    return seen


def header_problems(answers):
    """{name: headers} of the answers that lack a security header or have another value.

    An uploaded file (a /uploads/ address) must have a Content-Security-Policy, but
    from step 16 on a stricter one of its own (test_16_images.py)."""
    problems = {}
    for name, response in answers.items():
        headers = {header: response.headers.get(header) for header in SECURITY_HEADERS}
        expected = dict(SECURITY_HEADERS)
        if "/uploads/" in name and "default-src" in (headers["Content-Security-Policy"] or ""):
            expected["Content-Security-Policy"] = headers["Content-Security-Policy"]
        if headers != expected:
            problems[name] = headers
    return problems


def inline_code(response):
    """The elements of an HTML page that the Content-Security-Policy would block:
    style="", <style>, <script> without src, on...="" handlers."""
    if response.mimetype != "text/html":
        return []
    return [
        e for e in page(response).elements
        if "style" in e.attrs or e.tag == "style" or (e.tag == "script" and not e.get("src"))
        or any(name.startswith("on") for name in e.attrs)
    ]


def forms_without_token(response):
    """The actions of the page's POST forms that carry no hidden csrf_token."""
    forms = [form for form in page(response).forms() if form.method == "post"]
    return [
        form.action for form in forms
        if form.fields.get("csrf_token") is None or form.fields["csrf_token"].get("type") != "hidden"
    ]


# --- the dashboard's charts (step 23 on) -----------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"


def tables(response):
    """The tables of a page by caption: {caption: [[cell text, ...] for each row of its <tbody>]}."""
    found = {}
    for table in page(response).find_all("table"):
        parts = list(table.descendants())
        caption = next((e.text() for e in parts if e.tag == "caption"), "")
        rows = [e for e in parts if e.tag == "tr" and e.inside("tbody")]
        found[caption] = [[cell.text() for cell in row.children if cell.tag in ("td", "th")] for row in rows]
    return found


def charts_in(response):
    """Each <svg> of a page, cut out and parsed as XML (so each must be well-formed on its own):
    [(its accessible name, its description), ...], after checking that it is an image
    named and described by its own <title> and <desc>."""
    html = response.get_data(as_text=True) if hasattr(response, "get_data") else response
    found = []
    for piece in html.split("<svg")[1:]:
        # Our own page, not a stranger's XML: the standard library's parser is fine here.
        root = ET.fromstring("<svg" + piece.split("</svg>")[0] + "</svg>")  # noqa: S314
        assert root.get("role") == "img"
        title_id, desc_id = root.get("aria-labelledby").split()
        title, desc = root.find(SVG + "title"), root.find(SVG + "desc")
        assert (title.get("id"), desc.get("id")) == (title_id, desc_id)
        found.append((title.text, desc.text))
    return found
