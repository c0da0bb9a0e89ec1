"""What every form's POST goes through before any view runs: a size that fits
the form, its CSRF token, and no file where no form takes one.

The danger: another website can hold a form that posts to this site. Your
browser would send it along with your cookies, so it would look like you wrote it.
The guard (step 12's, by hand): the session holds a random token, and every form
on our pages carries it in a hidden field, written by {{ csrf_token() }}. Another
site cannot read our pages, so it cannot know the token, and check_csrf_token()
refuses a POST (and PUT, PATCH, DELETE) without it: 400, and errors.py says
"This form has expired..." (nothing has changed: no view ran).
"""

import hmac
import re
import secrets

from flask import abort, current_app, request, session
from werkzeug.exceptions import BadRequest

# The two forms that may carry a file (their endpoints): the only large requests.
FORMS_WITH_FILES = ("boards.create_thread", "boards.create_reply")

# What secrets.token_urlsafe(32) makes: 43 characters of A-Z a-z 0-9 - _.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")

# The methods that change something. GET and HEAD only read, so they need no token.
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class CSRFError(BadRequest):
    """A form without the right token (error_answers.py says what it means)."""


class NoFilesHere(BadRequest):
    """A file sent to a form that has no file field (refuse_files_where_none_belong)."""

    description = "This form takes no files: its fields are typed text. Nothing was changed."


def init_app(app):
    """Check every unsafe request's token, and let templates write {{ csrf_token() }}."""
    # In this order: a body too large for its form, then a file where none belongs,
    # are refused before the token is read.
    app.before_request(limit_plain_forms)
    app.before_request(refuse_files_where_none_belong)
    app.before_request(check_csrf_token)
    app.add_template_global(csrf_token)


def limit_plain_forms():
    """Hold every body but an upload to MAX_FORM_MEMORY_SIZE bytes in all.

    Werkzeug applies that limit to multipart forms only, one part at a time: 5 MiB
    of "&a=&a=..." in a plain form would be split into millions of fields. Only a
    multipart form sent to FORMS_WITH_FILES may be as large as MAX_CONTENT_LENGTH.
    request.max_content_length sets the limit of this request only (past it: 413).
    Registered first: the CSRF check reads the form of every POST."""
    if request.endpoint in FORMS_WITH_FILES and request.mimetype == "multipart/form-data":
        return  # MAX_CONTENT_LENGTH, Flask's own limit, holds
    config = current_app.config
    request.max_content_length = min(config["MAX_CONTENT_LENGTH"], config["MAX_FORM_MEMORY_SIZE"])
    if request.content_length is not None:
        if request.content_length > request.max_content_length:
            abort(413)
    elif "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        # A chunked body says no length: read it now (request.form reads this copy),
        # and one byte more. Werkzeug would cut it at the limit without a word: 413.
        request.get_data()
        request.stream.read(1)


def csrf_token():
    """This session's token, made the first time a page needs one."""
    token = session_token()
    if token is None:
        token = session["csrf_token"] = secrets.token_urlsafe(32)
    return token


def session_token():
    """The token kept in the session, or None if there is none that looks like ours.

    The session is a signed cookie: nobody can change it without the secret key.
    But a leaked or weak key happens, so whatever the session holds is checked
    like any other input. `type(...) is str` refuses "safe" Markup (a str
    subclass, which Jinja would not escape), lists, numbers and None; the
    pattern refuses any other text. A page then gets a fresh token, and a POST
    is refused (400)."""
    token = session.get("csrf_token")
    if type(token) is not str or not TOKEN_PATTERN.fullmatch(token):
        return None
    return token


def check_csrf_token():
    """Refuse an unsafe request whose form does not carry this session's token."""
    if request.method not in UNSAFE_METHODS:
        return
    if request.routing_exception is not None:
        # No page here (404), or not for this method (405): let that error show.
        return
    sent = request.form.get("csrf_token", "")
    expected = session_token()
    # compare_digest takes as long for a near miss as for a wild guess, so the
    # time of the answer does not give the token away one character at a time.
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CSRFError()


def refuse_files_where_none_belong():
    """400 for a file sent to any form but FORMS_WITH_FILES (a new thread, a reply).

    Only those two forms have a file field. Anywhere else, a file is a text field
    sent as a file part (username=<a file>): it is not in request.form, so the
    form would be checked as if that field had been left empty. The body is
    small here (limit_plain_forms holds it to MAX_FORM_MEMORY_SIZE)."""
    if request.endpoint not in FORMS_WITH_FILES and request.files:
        raise NoFilesHere()
