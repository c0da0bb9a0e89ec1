"""Reading the numbers in addresses: ?page=, the API's ?after=.

A number in a query string is text the visitor wrote, so each is checked as text
before it becomes a number (see page_number). What a bad one means depends on
who asked: a page for people answers 404 (an address that does not exist), the
JSON API a 400 that says what the parameter must look like (BadParameter: a
program, not a person, made the mistake).
"""

from flask import abort, request
from werkzeug.exceptions import BadRequest

# No list has a billion pages: a ?page= of more digits does not exist.
MAX_PAGE_DIGITS = 9

# The largest id: PostgreSQL's INTEGER, as in the addresses (chatsite.IdConverter).
LARGEST_ID = 2**31 - 1


class BadParameter(BadRequest):
    """A query parameter of the API that is not what the API documents: 400."""


def requested_page():
    """The ?page= number, 1 when there is none. Anything but a whole number from 1
    up is an address that does not exist: 404 Not Found."""
    page = page_number(request.args.get("page", "1"))
    if page is None:
        abort(404)
    return page


def last_page_or_404(page, per_page, total):
    """How many pages a list of `total` items has, `per_page` a page: at least one,
    so that an empty list still has its page 1. Asking for a page past the last
    one is asking for an address that does not exist: 404 Not Found."""
    pages = max(1, (total + per_page - 1) // per_page)
    if page > pages:
        abort(404)
    return pages


def requested_api_page():
    """The API's ?page= number, 1 when there is none; anything else is a JSON 400
    that says what a page number is."""
    page = page_number(request.args.get("page", "1"))
    if page is None:
        raise BadParameter(f"?page= must be a whole number from 1 to {10**MAX_PAGE_DIGITS - 1}.")
    return page


def requested_after():
    """The API's ?after= (a post id, or 0 for "from the start"); anything else is a
    JSON 400, like a bad ?page=."""
    after = id_or_zero(request.args.get("after", ""))
    if after is None:
        raise BadParameter(f"?after= must be a whole number from 0 to {LARGEST_ID}: your newest post's id.")
    return after


def id_or_zero(text):
    """The id `text` spells, or 0; None if it is not a whole number from 0 to
    LARGEST_ID. Checked as text first, like page numbers (see page_number)."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(LARGEST_ID)) or int(text) > LARGEST_ID:
        return None
    return int(text)


def page_number(text):
    """The page number `text` spells, or None if it is not a whole number from 1 up.

    The text is checked before it becomes a number: int() of thousands of digits
    is slow, and Python refuses more than 4,300 digits (a 500 error)."""
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_PAGE_DIGITS or int(text) < 1:
        return None
    return int(text)
