"""Checking what people type into the forms.

Each check raises FormError when something is wrong; errors.py turns that into
the form's page again, with the message and everything the person typed.
"""

import unicodedata

from flask import abort, request
from werkzeug.exceptions import BadRequest

# Limits on what people may type. The forms show them too (maxlength).
MAX_TITLE_LENGTH = 120
MAX_BODY_LENGTH = 5000

# Characters that reverse or isolate the direction of text. In a title,
# U+202E can make "gpj.exe" look like "exe.jpg": a classic way to mislead readers.
TEXT_DIRECTION_CHARACTERS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


# No list has a billion pages: a ?page= of more digits does not exist.
MAX_PAGE_DIGITS = 9


class FormError(BadRequest):
    """Something wrong in a form: a 400 Bad Request whose description tells the
    person what to fix."""


def clean_text(text):
    """Trim spaces at both ends; turn the browser's "\\r\\n" line breaks into "\\n"."""
    return text.replace("\r\n", "\n").strip()


def check_title(title):
    """Raise FormError if the title is missing, too long or has hidden characters."""
    if not title:
        raise FormError("Please give your thread a title.")
    if len(title) > MAX_TITLE_LENGTH:
        raise FormError(f"Titles can be at most {MAX_TITLE_LENGTH} characters long.")
    if has_hidden_characters(title, allow_line_breaks=False):
        raise FormError("Titles cannot contain control or text-direction characters.")


def check_body(body, required):
    """Raise FormError if a post's text is missing (when required), too long or odd."""
    if required and not body:
        raise FormError("Please write a message or choose an image.")
    if len(body) > MAX_BODY_LENGTH:
        raise FormError(f"Messages can be at most {MAX_BODY_LENGTH} characters long.")
    if has_hidden_characters(body, allow_line_breaks=True):
        raise FormError("Messages cannot contain control or text-direction characters.")


def has_hidden_characters(text, allow_line_breaks):
    """True if the text holds control characters (other than line breaks and tabs,
    when allowed) or text-direction characters."""
    for character in text:
        if allow_line_breaks and character in "\n\t":
            continue
        if unicodedata.category(character) == "Cc" or character in TEXT_DIRECTION_CHARACTERS:
            return True
    return False


def requested_page():
    """The ?page= number, 1 when there is none. Anything but a whole number from 1
    up is an address that does not exist: 404 Not Found."""
    page = page_number(request.args.get("page", "1"))
    if page is None:
        abort(404)
    return page


class BadParameter(BadRequest):
    """A query parameter of the API that is not what the API documents: 400."""


def requested_api_page():
    """The API's ?page= number, 1 when there is none; anything else is a JSON 400
    that says what a page number is (a program, not a person, made the mistake)."""
    page = page_number(request.args.get("page", "1"))
    if page is None:
        raise BadParameter(f"?page= must be a whole number from 1 to {10**MAX_PAGE_DIGITS - 1}.")
    return page


def page_number(text):
    """The page number `text` spells, or None if it is not a whole number from 1 up.

    The text is checked before it becomes a number: int() of thousands of digits
    is slow, and Python refuses more than 4,300 digits (a 500 error)."""
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_PAGE_DIGITS or int(text) < 1:
        return None
    return int(text)
