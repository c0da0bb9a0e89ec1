"""Checking what people type into the forms, and the numbers in addresses.

Each check raises FormError when something is wrong; show_form_again() in
boards.py turns that into the form's page again, with the message and
everything the person typed. (Other forms use FormError too: the users page,
the report form and the moderators' Move form. See moderation.py and
reports.py.)
"""

import unicodedata

from flask import abort, request
from werkzeug.exceptions import BadRequest

# Limits on what people may type. The forms show them too (maxlength).
MAX_TITLE_LENGTH = 120
MAX_BODY_LENGTH = 5000


def clean_text(text):
    """Trim spaces at both ends; turn the browser's "\r\n" line breaks into "\n";
    join each letter and its accent marks into one character where Unicode has one."""
    text = text.replace("\r\n", "\n").strip()
    # NFC, "normal form, composed": "e" followed by the separate accent mark U+0301
    # becomes the one character "é", as most keyboards type it. The same words are
    # then always stored the same way, and only marks that have no letter to merge
    # with are left to count (see has_too_many_marks).
    return unicodedata.normalize("NFC", text)


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
    if not has_visible_character(title):
        raise FormError("Titles need at least one visible character.")
    if has_too_many_marks(title):
        raise FormError("Too many accent marks on one letter.")


def check_body(body, required):
    """Raise FormError if a post's text is missing (when required), too long or odd."""
    if required and not body:
        raise FormError("Please write a message or choose an image.")
    if len(body) > MAX_BODY_LENGTH:
        raise FormError(f"Messages can be at most {MAX_BODY_LENGTH} characters long.")
    if has_hidden_characters(body, allow_line_breaks=True):
        raise FormError("Messages cannot contain control or text-direction characters.")
    if body and not has_visible_character(body):
        raise FormError("Messages need at least one visible character.")
    if has_too_many_marks(body):
        raise FormError("Too many accent marks on one letter.")


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


# Characters that show nothing, although Unicode files them as letters or symbols
# (so the category test in has_visible_character would take them for visible):
# the Hangul fillers U+115F, U+1160, U+3164 and U+FFA0, and the blank Braille
# pattern U+2800. A title made of them looks empty: a blank link on the board.
BLANK_CHARACTERS = set("\u115f\u1160\u3164\uffa0\u2800")


def has_visible_character(text):
    """True if at least one character of the text shows on the screen.

    unicodedata.category() gives each character a two-letter category. These show
    nothing: spaces (categories starting with Z); control, format, unassigned,
    private-use and surrogate characters (C: U+200B, the zero-width space, is a
    format character); accent marks on their own (M); and the BLANK_CHARACTERS.
    """
    for character in text:
        if unicodedata.category(character)[0] not in "ZCM" and character not in BLANK_CHARACTERS:
            return True
    return False


# After NFC, a letter carries at most two or three separate accent marks in real
# writing (Vietnamese, Hindi, Thai...). More is "Zalgo" text: marks stacked so
# high that they spill over the lines above and below and hide them.
MAX_MARKS_IN_A_ROW = 4


def has_too_many_marks(text):
    """True if more than MAX_MARKS_IN_A_ROW accent marks (category M) follow each other."""
    in_a_row = 0
    for character in text:
        in_a_row = in_a_row + 1 if unicodedata.category(character)[0] == "M" else 0
        if in_a_row > MAX_MARKS_IN_A_ROW:
            return True
    return False


def requested_page():
    """The number in ?page=, or 1 when there is none; anything else is an address
    that does not exist: 404 Not Found."""
    page = page_number(request.args.get("page", "1"))
    if page is None:
        abort(404)
    return page


class BadParameter(BadRequest):
    """A query parameter of the API that is not what the API documents: 400 Bad
    Request, whose description says what it should be."""


class NoFilesHere(BadRequest):
    """A file sent to a form that has no file field (boards.refuse_files_where_none_belong)."""

    description = "This form takes no files: its fields are typed text. Nothing was changed."


def requested_api_page():
    """The API's ?page= number, 1 when there is none. Anything else is a 400 that
    says what a page number is: a program, not a person, made the mistake, and
    whoever wrote it needs to know what to fix."""
    page = page_number(request.args.get("page", "1"))
    if page is None:
        raise BadParameter("?page= must be a whole number from 1 to 999999999.")
    return page


def page_number(text):
    """The page number `text` spells, or None if it is not a whole number from 1
    to 999,999,999.

    The text is checked *before* int() turns it into a number: int() of
    thousands of digits raises ValueError, and that would be a 500. No list will
    ever have a billion pages, so 9 digits are plenty.
    """
    number = whole_number(text)
    if number is None or number < 1:
        return None
    return number


def whole_number(text):
    """The number `text` spells, or None if it is not a whole number from 0 to
    999,999,999 (the same digit checks as page numbers, with 0 allowed)."""
    # isascii(): isdigit() alone also accepts digits of other scripts, like "٣".
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        return None
    return int(text)


def requested_after():
    """Step 15: the API's ?after= post id (0 for "from the first post"). Anything
    else is a 400 that says what it should be, like a bad ?page=."""
    after = whole_number(request.args.get("after", ""))
    if after is None:
        raise BadParameter("?after= must be a post id: a whole number from 0 to 999999999.")
    return after
