"""Small helpers the staged tests share: they act like a person with a browser.

Everything goes through HTTP, and pages are read with a real HTML parser
(``page(html)``, below): the tests look at what a user sees and uses, never at
class names, attribute order or nesting. They rely only on the page contract that
every step keeps (and that a student's app must keep too, see "For instructors"):

- the home page lists each board as one ``<li>`` inside ``<main>``, its name first,
  and (from step 02) links it as ``/boards/<slug>``;
- a board page links each thread as ``/threads/<id>``;
- every post on a thread page is an element with ``id="post-<id>"``;
- search results are the ``/threads/<id>`` links after the text "N threads found";
- forms use the field names ``title``, ``body``, ``image`` (each with a ``<label>``:
  ``for`` its ``id``, or around it) and ``q``; if a form carries a hidden
  ``csrf_token`` field (the final app does), it is sent back like a browser would;
- uploaded images are ``<img src="/uploads/...">`` with alt, width and height;
  from step 16 that image is a thumbnail inside a link (``<a href="/uploads/...">``)
  to the full image (``full_image_urls_in``);
- from step 11: staff accounts are made with ``flask create-user NAME --role ROLE``,
  the login form (``/login``) has the fields ``username``, ``password`` and a hidden
  ``next`` (and, from step 12, ``csrf_token``), and staff pages are under ``/mod/``.
"""
import contextlib
import http.cookiejar
import io
import json
import re
import sqlite3
import threading
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser

BOARD = "astronomy"


def csrf_token(html):
    """The hidden csrf_token of the first form that has one, or None."""
    form = page(html).form_with("csrf_token")
    return form.fields["csrf_token"].get("value", "") if form else None


def post_form(client, form_page, action, fields, image=None, follow=False):
    """Open ``form_page``, then submit its form to ``action`` like a browser.

    ``image`` is ``(filename, bytes)`` for an upload, or None for no file field.
    """
    page = client.get(form_page).get_data(as_text=True)
    data = dict(fields)
    token = csrf_token(page)
    if token is not None:
        data.setdefault("csrf_token", token)
    if image is not None:
        filename, content = image
        data["image"] = (io.BytesIO(content), filename)
    return client.post(action, data=data, follow_redirects=follow)


def create_thread(client, title="Hello world", body="First!", board=BOARD, image=None):
    """Create a thread and return its id (asserting the 303 answer)."""
    fields = {"title": title, "body": body}
    response = post_form(client, f"/boards/{board}", f"/boards/{board}/threads", fields, image)
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(re.search(r"/threads/(\d+)", response.headers["Location"]).group(1))


def reply(client, thread_id, body="A reply", image=None):
    """Post a reply; return the raw response (303 on success)."""
    url = f"/threads/{thread_id}"
    return post_form(client, url, f"{url}/replies", {"body": body}, image)


def alert_text(response):
    """The text of a page's error message (role="alert"), or "" if it shows none."""
    return " ".join(element.text() for element in page(response).elements if element.get("role") == "alert")


def reply_with_file(client, thread_id, filename, data, body="Look!"):
    """Reply with a file through the thread's form; return the new post's id."""
    response = reply(client, thread_id, body, image=(filename, data))
    assert response.status_code == 303, (response.status_code, alert_text(response))
    return int(re.search(r"#post-(\d+)$", response.headers["Location"]).group(1))


def post_ids(client, thread_id):
    """The ids of the posts shown on a thread page, in page order."""
    return post_ids_in(client.get(f"/threads/{thread_id}").get_data(as_text=True))


def post_ids_in(html):
    """The N of every ``id="post-N"`` on a page, in page order."""
    found = (re.fullmatch(r"post-(\d+)", element_id) for element_id in page(html).ids())
    return [int(match.group(1)) for match in found if match]


def thread_ids_on_board(client, board=BOARD, page=None):
    """The ids of the threads a board page (or its ?page=N) links to, in page order, once each."""
    url = f"/boards/{board}" if page is None else f"/boards/{board}?page={page}"
    return thread_ids(Page(client.get(url).get_data(as_text=True)).links())


# --- reading pages ----------------------------------------------------------
#
# The tests read HTML the way a browser does, with the standard library's parser,
# and look only at what a user sees and uses: text, links, form fields, ids and
# images. Class names, attribute order and how elements are nested are the
# student's own (see "For instructors").

_VOID = frozenset(
    "area base br col embed hr img input link meta param source track wbr".split()
)
# An open <li> or <p> ends when the next one starts, as in a browser.
_CLOSED_BY_ITSELF = frozenset(("li", "p", "option"))
_HIDDEN_TEXT = frozenset(("script", "style", "template", "title", "head"))
_FIELDS = frozenset(("input", "textarea", "select", "button"))


class Element:
    """One element of a page: its tag, its attributes and the text inside it."""

    def __init__(self, tag, attrs, parent):
        self.tag = tag
        self.attrs = {name: value if value is not None else "" for name, value in attrs}
        self.parent = parent
        self.children = []
        self._text = []
        self._text_outside_fields = []  # without what is typed into its fields

    def get(self, name, default=None):
        return self.attrs.get(name, default)

    def text(self):
        """The element's visible text, with runs of white space made one space."""
        return " ".join("".join(self._text).split())

    def label_text(self):
        """The text of a label: its own words, not those typed into a field inside it."""
        return " ".join("".join(self._text_outside_fields).split())

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def inside(self, *tags):
        return any(node.tag in tags for node in self.ancestors())

    def descendants(self):
        for child in self.children:
            yield child
            yield from child.descendants()

    def __repr__(self):
        return f"<{self.tag} {self.attrs}>"


class Form:
    """A form as a browser submits it: where to, how, and its fields by name."""

    def __init__(self, element):
        self.element = element
        self.action = element.get("action", "")
        self.method = element.get("method", "get").lower()
        self.enctype = element.get("enctype", "application/x-www-form-urlencoded").lower()
        self.fields = {}
        for node in element.descendants():
            if node.tag in _FIELDS and node.get("name"):
                self.fields.setdefault(node.get("name"), node)

    def __repr__(self):
        return f"<form {self.method.upper()} {self.action!r} {sorted(self.fields)}>"


class Page(HTMLParser):
    """A parsed HTML page; make one with ``page(html)``."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", [], None)
        self.elements = []  # every element, in document order
        self.events = []  # ("element", Element) and ("text", str), in document order
        self._open = [self.root]
        self.feed(html)
        self.close()

    # The parser's callbacks.
    def handle_starttag(self, tag, attrs):
        if tag in _CLOSED_BY_ITSELF and self._open[-1].tag == tag:
            self._open.pop()
        element = Element(tag, attrs, self._open[-1])
        self._open[-1].children.append(element)
        self.elements.append(element)
        self.events.append(("element", element))
        if tag not in _VOID:
            self._open.append(element)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self._open.pop()

    def handle_endtag(self, tag):
        for depth in range(len(self._open) - 1, 0, -1):
            if self._open[depth].tag == tag:
                del self._open[depth:]
                return

    def handle_data(self, data):
        if any(element.tag in _HIDDEN_TEXT for element in self._open):
            return
        fields = [n for n, element in enumerate(self._open) if element.tag in ("textarea", "select")]
        for n, element in enumerate(self._open):
            element._text.append(data)
            if not fields or n >= fields[-1]:
                element._text_outside_fields.append(data)
        self.events.append(("text", data))

    # What the tests ask.
    def text(self):
        """Everything a reader sees on the page, as one string."""
        return self.root.text()

    def find_all(self, tag, **attrs):
        """The elements with this tag (and these exact attribute values), in page order."""
        return [
            element
            for element in self.elements
            if element.tag == tag
            and all(element.get(name.rstrip("_")) == value for name, value in attrs.items())
        ]

    def links(self):
        """Every link (<a href>) on the page, in order."""
        return [element for element in self.elements if element.tag == "a" and "href" in element.attrs]

    def hrefs(self):
        return [link.get("href") for link in self.links()]

    def link(self, text=None, href=None, rel=None):
        """The first link with this text, address and/or rel, or None."""
        for found in self.links():
            if text is not None and found.text() != text:
                continue
            if href is not None and found.get("href") != href:
                continue
            if rel is not None and rel not in found.get("rel", "").split():
                continue
            return found
        return None

    def forms(self):
        return [Form(element) for element in self.elements if element.tag == "form"]

    def form_with(self, field):
        """The first form that has a field of this name, or None."""
        return next((form for form in self.forms() if field in form.fields), None)

    def fields(self):
        """The names of every form field on the page."""
        return {name for form in self.forms() for name in form.fields}

    def ids(self):
        return [element.get("id") for element in self.elements if "id" in element.attrs]

    def find_by_id(self, element_id):
        return next((e for e in self.elements if e.get("id") == element_id), None)

    def images(self):
        """Every <img>, in order."""
        return self.find_all("img")

    def stylesheets(self):
        return [
            element.get("href")
            for element in self.elements
            if element.tag == "link" and "stylesheet" in element.get("rel", "").lower().split()
        ]

    def links_after(self, pattern):
        """The links that come after the first text matching ``pattern`` (a regex),
        or [] when no text matches."""
        found, links = False, []
        texts = []
        for kind, item in self.events:
            if not found and kind == "text":
                texts.append(item)
                if re.search(pattern, " ".join("".join(texts).split())):
                    found = True
            elif found and kind == "element" and item.tag == "a" and "href" in item.attrs:
                links.append(item)
        return links


def board_names(html):
    """The names of the boards a home page lists, in page order.

    Each board is one list item (<li>) of the page's <main>, its name first; the
    letter bar and other navigation (<nav>) do not count."""
    items = [item for item in page(html).find_all("li") if item.inside("main")]
    names = [_first_text(item) for item in items if not item.inside("nav", "header", "footer")]
    return [name for name in names if name]


def _first_text(element):
    """The first piece of text inside an element (however deep), stripped."""
    return next((" ".join(chunk.split()) for chunk in element._text if chunk.strip()), "")


def field_labels(form, shown):
    """The label text of each field of ``form`` (on page ``shown``), by field name.

    A label belongs to a field by ``<label for="its id">`` or by being around it."""
    labels = {}
    for name, field in form.fields.items():
        labelled = shown.find_all("label", for_=field.get("id")) if field.get("id") else []
        texts = [label.label_text() for label in labelled]
        texts += [node.label_text() for node in field.ancestors() if node.tag == "label"]
        if texts:
            labels[name] = texts[0]
    return labels


def form_to(html, action):
    """The form of a page that submits to ``action``, and the parsed page; (None, page) if none."""
    shown = page(html)
    return next((form for form in shown.forms() if form.action == action), None), shown


def image_urls_in(html):
    """The addresses of the uploaded images (<img src="/uploads/...">) a page shows."""
    return [img.get("src") for img in page(html).images() if img.get("src", "").startswith("/uploads/")]


def full_image_urls_in(html):
    """The addresses of the full uploaded images a page shows, one per image.

    Until step 15 the <img> is the image itself; from step 16 it is a thumbnail,
    and the link around it leads to the full image. So: the link around an
    uploaded <img> when it points into /uploads/, else the <img>'s own address."""
    urls = []
    for img in page(html).images():
        if not img.get("src", "").startswith("/uploads/"):
            continue
        link = next((node for node in img.ancestors() if node.tag == "a"), None)
        href = link.get("href", "") if link is not None else ""
        urls.append(href if href.startswith("/uploads/") else img.get("src"))
    return urls


# --- formatted posts (step 18 on) ----------------------------------------------
#
# From step 18 a post's body is escaped, then given exactly three kinds of markup
# (formatting.py): <a class="quote-link" href="..."> for >>N, <span class="quote">
# for a line that starts with ">", and <a href="..." rel="nofollow ugc noopener">
# for a web address. The tests compare everything inside the body with that.

QUOTE_LINK = "quote-link"
WEB_LINK_REL = "nofollow ugc noopener"


def post_body(html, post_id):
    """The body of post ``post_id`` on a page (its element of class post-body), or None."""
    post = page(html).find_by_id(f"post-{post_id}")
    if post is None:
        return None
    return next((e for e in post.descendants() if "post-body" in e.get("class", "").split()), None)


def markup(element):
    """Every element inside ``element``, in order, as (tag, attributes, text)."""
    return [(node.tag, node.attrs, node.text()) for node in element.descendants()]


def quote_link(post_id, href):
    """A >>N link, as markup() gives it."""
    return ("a", {"class": QUOTE_LINK, "href": href}, f">>{post_id}")


def web_link(url):
    """A web address made a link, as markup() gives it."""
    return ("a", {"href": url, "rel": WEB_LINK_REL}, url)


def quote_line(text):
    """A line that starts with ">", as markup() gives it."""
    return ("span", {"class": "quote"}, text)


def page(html):
    """Parse a page (a str, or a response of Flask's test client)."""
    if hasattr(html, "get_data"):
        html = html.get_data(as_text=True)
    return Page(html)


THREAD_LINK = re.compile(r"/threads/(\d+)")


def thread_ids(links):
    """The thread ids that ``links`` (Elements) point to, in order, once each."""
    seen = []
    for link in links:
        found = THREAD_LINK.fullmatch(link.get("href", ""))
        if found and int(found.group(1)) not in seen:
            seen.append(int(found.group(1)))
    return seen


def every_post(get_json, thread_id):
    """All of a thread's posts from the JSON API, page after page (if it pages).

    `get_json(path)` fetches and decodes one answer."""
    posts, page = [], 1
    while True:
        answer = get_json(f"/api/threads/{thread_id}/posts?page={page}")
        posts += answer["posts"]
        if page >= answer.get("pages", 1):
            return posts
        page += 1


# The final app's record of which database the upload folder belongs to (not an upload).
SITE_ID_FILE = "site-id.txt"


def stored_files(upload_folder):
    """Every file under the upload folder (an empty list if it does not exist):
    images, videos and (from step 16) their thumbnails."""
    if not upload_folder.exists():
        return []
    site_id = upload_folder / SITE_ID_FILE
    return sorted(path for path in upload_folder.rglob("*") if path.is_file() and path != site_id)


THUMBNAIL_SUFFIX = ".thumb.jpg"  # from step 16, beside each stored image


def stored_uploads(upload_folder):
    """The stored images and videos themselves, without their thumbnails: one per upload."""
    return [path for path in stored_files(upload_folder) if not path.name.endswith(THUMBNAIL_SUFFIX)]


@contextlib.contextmanager
def serving(app):
    """Serve the app with Werkzeug's threaded development server on a free port
    of 127.0.0.1; yield its address, e.g. "http://127.0.0.1:40123". The server
    stops when the block ends."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    # A short poll interval: shutdown() waits for it, at the end of every live test.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class LiveBrowser:
    """A tiny browser for a live server: keeps cookies, does not follow redirects.

    Used by the tests that need real concurrent HTTP requests, which Flask's
    test client cannot make.
    """

    def __init__(self, base_url):
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def get(self, path):
        """GET a page; return (status, text)."""
        with self.opener.open(self.base_url + path, timeout=30) as response:
            return response.status, response.read().decode()

    def get_json(self, path):
        """GET a JSON answer; return it decoded."""
        status, text = self.get(path)
        assert status == 200, f"GET {path} answered {status}"
        return json.loads(text)

    def post_form(self, form_page, action, fields):
        """Submit a form like a browser (with its csrf_token); return (status, Location)."""
        _, page = self.get(form_page)
        data = dict(fields)
        token = csrf_token(page)
        if token is not None:
            data["csrf_token"] = token
        body = urllib.parse.urlencode(data).encode()
        try:
            with self.opener.open(self.base_url + action, data=body, timeout=30) as response:
                return response.status, response.headers.get("Location")
        except urllib.error.HTTPError as error:  # 303 and 4xx land here
            return error.code, error.headers.get("Location")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


# --- staff accounts (step 11 on) ----------------------------------------------
#
# Posting stays anonymous; accounts are for moderators and admins only. An
# account is made the way a site's owner makes the first one, with the command
# `flask create-user NAME --role admin|moderator`, which asks for the password twice.
# Hashing a password takes about a tenth of a second: a test makes the few
# accounts it needs once, not once per case.

PASSWORD = "correct horse"  # 8-200 characters


def create_user_command(app, name, role=None, typed=f"{PASSWORD}\n{PASSWORD}\n"):
    """Run `flask create-user NAME [--role ROLE]`, typing ``typed`` at its prompts;
    return click's result (exit_code, output)."""
    args = ["create-user", name] + (["--role", role] if role is not None else [])
    return app.test_cli_runner().invoke(args=args, input=typed)


def create_user(app, name, role="moderator", password=PASSWORD):
    """Make a staff account with the command line (asserting that it worked)."""
    result = create_user_command(app, name, role, f"{password}\n{password}\n")
    assert result.exit_code == 0, result.output
    return result


def submit(client, form_page, action, fields=None):
    """Open ``form_page`` and send its form to ``action`` like a browser: the form's
    hidden fields (csrf_token, next...) go along with ``fields``. The form must be there."""
    shown = page(client.get(form_page))
    form = next((form for form in shown.forms() if form.action == action), None)
    assert form is not None, f"no form to {action} on {form_page}: {shown.forms()}"
    data = {
        name: field.get("value", "")
        for name, field in form.fields.items()
        if field.tag == "input" and field.get("type", "").lower() == "hidden"
    }
    data.update(fields or {})
    return client.post(action, data=data)


def log_in(client, name, password=PASSWORD, next=None):
    """Fill in and send the login form (opened as /login?next=... if ``next`` is given)."""
    url = "/login" if next is None else "/login?" + urllib.parse.urlencode({"next": next})
    return submit(client, url, "/login", {"username": name, "password": password})


def staff_client(app, name, role="moderator"):
    """A new browser, logged in as a new staff member ``name`` with ``role``."""
    create_user(app, name, role)
    client = app.test_client()
    response = log_in(client, name)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return client


def where(response):
    """Where a redirect sends the browser: a path on this site (with its ?query
    and #fragment), or the whole Location when it leaves the site; None if none."""
    location = response.headers.get("Location")
    if location is None:
        return None
    parts = urllib.parse.urlsplit(location)
    if parts.scheme in ("", "http", "https") and parts.netloc in ("", "localhost"):
        return urllib.parse.urlunsplit(("", "", parts.path, parts.query, parts.fragment))
    return location


def login_redirect_next(response):
    """If ``response`` sends the browser to the login page (302 or 303), the
    ``next`` it carries (or "" without one); otherwise None."""
    if response.status_code not in (302, 303) or where(response) is None:
        return None
    parts = urllib.parse.urlsplit(where(response))
    if parts.path != "/login":
        return None
    return urllib.parse.parse_qs(parts.query).get("next", [""])[0]


def _database_path(app):
    """The app's SQLite file: DATABASE, or the file of the final app's sqlite:/// URL."""
    url = app.config.get("SQLALCHEMY_DATABASE_URI", "")
    return url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else app.config["DATABASE"]


def usernames(app):
    """Every account's name, oldest first (table ``users`` of the app's SQLite database)."""
    with contextlib.closing(sqlite3.connect(_database_path(app))) as connection:
        return [row[0] for row in connection.execute("SELECT username FROM users ORDER BY id")]


def user_id(app, name):
    """The id of the account ``name`` (table ``users`` of the app's SQLite database)."""
    with contextlib.closing(sqlite3.connect(_database_path(app))) as connection:
        row = connection.execute(
            "SELECT id FROM users WHERE lower(username) = lower(?)", (name,)
        ).fetchone()
    assert row is not None, f"no user {name!r}"
    return row[0]
