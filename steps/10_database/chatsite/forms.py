"""Checking what people type into the forms.

Each check raises FormError when something is wrong; show_form_again() in
boards.py turns that into the form's page again, with the message and
everything the person typed.
"""

import unicodedata

from werkzeug.exceptions import BadRequest

# Limits on what people may type. The forms show them too (maxlength).
MAX_TITLE_LENGTH = 120
MAX_BODY_LENGTH = 5000


def clean_text(text):
    """Trim spaces at both ends; turn the browser's "\r\n" line breaks into "\n"."""
    return text.replace("\r\n", "\n").strip()


class FormError(BadRequest):
    """Something wrong in a form: a 400 Bad Request whose description tells the
    person what to fix. boards.show_form_again() turns it into the form's page."""


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


# Characters that reverse or isolate the direction of text. In a title,
# U+202E can make "gpj.exe" look like "exe.jpg": a classic way to mislead readers.
TEXT_DIRECTION_CHARACTERS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def has_hidden_characters(text, allow_line_breaks):
    """True if the text holds control characters (other than line breaks and tabs,
    when allowed) or text-direction characters."""
    for character in text:
        if allow_line_breaks and character in "\n\t":
            continue
        if unicodedata.category(character) == "Cc" or character in TEXT_DIRECTION_CHARACTERS:
            return True
    return False
