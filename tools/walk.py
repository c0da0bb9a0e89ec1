"""Do what a page's walkthrough asks of the reader's browser: open a page, follow links, send a form.

    python tools/walk.py URL [--click "LINK TEXT"]... [--submit "BUTTON TEXT" [NAME=VALUE | NAME=@FILE]...]

tools/pages.py runs the docs' sessions; where a page says "start a thread in your
browser", the page's source has a hidden ``<!-- run: python tools/walk.py … -->``
that does it, so a walkthrough that stopped working (a 429 from flood control, a
form that lost a field) fails the page, as it would fail the reader.

Like a browser, it keeps cookies (in ``.walk-cookies`` of the current folder, so
a login lasts from one command to the next), sends the form's hidden fields (the
CSRF token), its defaults (checked boxes, selected options) and the button's
name, an Origin and a Referer, and follows redirects. It prints the final status
and address, then the text of each ``role="alert"`` element (the error messages
and notices), or, on an error page without them, its heading and the paragraph under it; it
exits 1 when the final status is 400 or more.
"""

import argparse
import html.parser
import http.cookiejar
import mimetypes
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

COOKIES = Path(".walk-cookies")
VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Page(html.parser.HTMLParser):
    """The links, forms and alerts of one HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []  # [href, text]
        self.forms = []  # {"action", "method", "enctype", "fields": [...], "buttons": [...]}
        self.alerts = []  # [depth, text]
        self.heading = []  # the <h1> and the paragraph after it: an error page says what and why
        self._heading_part = None
        self._open = []  # tag names, to know when an alert ends
        self._link = None
        self._field = None  # the textarea, option or button being read
        self._select = None

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag not in VOID:
            self._open.append(tag)
        for alert in self.alerts:
            if alert[0] > 0 and tag not in VOID:
                alert[0] += 1  # inside the alert: one level deeper
        if attributes.get("role") == "alert":
            self.alerts.append([1, ""])
        if tag == "h1" or (tag == "p" and len(self.heading) == 1):
            self.heading.append("")
            self._heading_part = len(self.heading) - 1
        if tag == "a" and "href" in attributes:
            self._link = [attributes["href"], ""]
            self.links.append(self._link)
        elif tag == "form":
            self.forms.append({
                "action": attributes.get("action", ""), "method": attributes.get("method", "get").lower(),
                "enctype": attributes.get("enctype", ""), "fields": [], "buttons": [],
            })  # fmt: skip
        elif not self.forms:
            return
        elif tag == "input":
            kind = attributes.get("type", "text").lower()
            if kind == "submit":
                self.forms[-1]["buttons"].append({**attributes, "text": attributes.get("value", "")})
            elif kind not in ("checkbox", "radio") or "checked" in attributes:
                field = {"name": attributes.get("name"), "value": attributes.get("value", ""), "type": kind}
                self.forms[-1]["fields"].append(field)
        elif tag == "textarea":
            self._field = {"name": attributes.get("name"), "value": "", "type": "textarea"}
            self.forms[-1]["fields"].append(self._field)
        elif tag == "select":
            self._select = {"name": attributes.get("name"), "value": None, "type": "select"}
            self.forms[-1]["fields"].append(self._select)
        elif tag == "option" and self._select is not None:
            if self._select["value"] is None or "selected" in attributes:
                self._select["value"] = attributes.get("value")
        elif tag == "button" and attributes.get("type", "submit") == "submit":
            self._field = {**attributes, "text": ""}
            self.forms[-1]["buttons"].append(self._field)

    def handle_endtag(self, tag):
        if tag in ("h1", "p"):
            self._heading_part = None
        if tag in ("textarea", "button"):
            self._field = None
        elif tag == "select":
            self._select = None
        elif tag == "a":
            self._link = None
        if self._open and self._open[-1] == tag:
            self._open.pop()
            for alert in self.alerts:
                alert[0] -= alert[0] > 0

    def handle_data(self, data):
        if self._heading_part is not None:
            self.heading[self._heading_part] += data
        if self._link is not None:
            self._link[1] += data
        if self._field is not None:
            self._field["value" if self._field.get("type") == "textarea" else "text"] += data
        for alert in self.alerts:
            if alert[0] > 0:
                alert[1] += data


def words(text):
    """Text as a reader sees it: spaces collapsed, and case ignored when compared."""
    return " ".join(text.split())


def says(shown, text):
    return text.casefold() in words(shown).casefold()


class Browser:
    def __init__(self):
        self.cookies = http.cookiejar.MozillaCookieJar(str(COOKIES))
        if COOKIES.exists():
            self.cookies.load(ignore_discard=True, ignore_expires=True)
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.url, self.status, self.body = None, None, ""

    def request(self, url, data=None, headers=None):
        if not url.startswith(("http://", "https://")):
            sys.exit(f"walk: {url!r} is not an http:// or https:// address")
        request = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310 (checked above)
        try:
            with self.opener.open(request, timeout=30) as answer:
                self.url, self.status, raw = answer.geturl(), answer.status, answer.read()
        except urllib.error.HTTPError as error:
            self.url, self.status, raw = error.geturl(), error.code, error.read()
        self.body = raw.decode("utf-8", errors="replace")
        self.cookies.save(ignore_discard=True, ignore_expires=True)

    def page(self):
        parsed = Page()
        parsed.feed(self.body)
        return parsed

    def click(self, text):
        links = self.page().links
        found = next((href for href, shown in links if says(shown, text)), None)
        if found is None:
            sys.exit(f"walk: no link saying {text!r} on {self.url}")
        self.request(urllib.parse.urljoin(self.url, found))

    def submit(self, button_text, values):
        for form in self.page().forms:
            saying = [button for button in form["buttons"] if says(button["text"], button_text)]
            button = saying[0] if saying else None
            if button is not None:
                break
        else:
            sys.exit(f"walk: no form with a {button_text!r} button on {self.url}")
        fields = [(field["name"], field["value"] or "") for field in form["fields"] if field["name"]]
        if button.get("name"):
            fields.append((button["name"], button.get("value", "")))
        for name, value in values:
            fields = [(other, old) for other, old in fields if other != name] + [(name, value)]
        action = urllib.parse.urljoin(self.url, button.get("formaction") or form["action"] or self.url)
        origin = "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(self.url))
        headers = {"Origin": origin, "Referer": self.url}
        if form["method"] != "post":
            self.request(action.split("?")[0] + "?" + urllib.parse.urlencode(fields), headers=headers)
        elif form["enctype"] == "multipart/form-data":
            body, content_type = multipart(fields)
            self.request(action, body, {**headers, "Content-Type": content_type})
        else:
            body = urllib.parse.urlencode(fields).encode()
            self.request(action, body, {**headers, "Content-Type": "application/x-www-form-urlencoded"})


def multipart(fields):
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields:
        if value.startswith("@"):
            path = Path(value[1:])
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            head = (f'Content-Disposition: form-data; name="{name}"; filename="{path.name}"\r\n'
                    f"Content-Type: {kind}\r\n\r\n")  # fmt: skip
            parts.append(head.encode() + path.read_bytes())
        else:
            parts.append(f'Content-Disposition: form-data; name="{name}"\r\n\r\n{value}'.encode())
    body = b"".join(f"--{boundary}\r\n".encode() + part + b"\r\n" for part in parts)
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def main(arguments=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url")
    parser.add_argument("--click", action="append", default=[], metavar="LINK TEXT")
    parser.add_argument("--submit", metavar="BUTTON TEXT")
    parser.add_argument("values", nargs="*", metavar="NAME=VALUE")
    options = parser.parse_intermixed_args(arguments)
    browser = Browser()
    browser.request(options.url)
    for text in options.click:
        browser.click(text)
    if options.submit:
        values = [value.split("=", 1) for value in options.values]
        browser.submit(options.submit, [(name, value) for name, value in values])
    print(browser.status, browser.url)
    page = browser.page()
    shown = [text for _, text in page.alerts]
    if browser.status >= 400 and not any(map(words, shown)):
        shown = page.heading  # an error page of its own: its heading and what it explains
    for text in shown:
        if words(text):
            print(words(text))
    return 1 if browser.status >= 400 else 0


if __name__ == "__main__":
    sys.exit(main())
