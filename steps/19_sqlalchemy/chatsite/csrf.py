"""What every form's POST goes through before any view runs: its CSRF token, and
no file where no form takes one.

The danger: another website can hold a form that posts to this site. Your
browser would send it along with your cookies, so it would look like you wrote it.
The guard: the session holds a random token, and every form on our pages carries
it (signed) in a hidden field, written by {{ csrf_token() }}. Another site cannot
read our pages, so it cannot know the token, and Flask-WTF's CSRFProtect refuses
a POST (and PUT, PATCH, DELETE) without it: 400, and errors.py says "This form
has expired..." (nothing has changed: no view ran).
"""

import re

from flask import request, session
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import BadRequest

from .bodies import FORMS_WITH_FILES

csrf = CSRFProtect()

# What Flask-WTF keeps in the session: the SHA-1 of random bytes, 40 hex digits.
SESSION_TOKEN_PATTERN = re.compile(r"[0-9a-f]{40}")


class NoFilesHere(BadRequest):
    """A file sent to a form that has no file field (refuse_files_where_none_belong)."""

    description = "This form takes no files: its fields are typed text. Nothing was changed."


def init_app(app):
    """Check every unsafe request's token, and let templates write {{ csrf_token() }}.

    Over HTTPS, CSRFProtect also wants the request's Referer to be a page of this
    site (WTF_CSRF_SSL_STRICT, on by default): the Referrer-Policy we send
    (same-origin, see SECURITY_HEADERS) lets browsers send it with our own forms."""
    # First, before CSRFProtect registers its own check: the order they run in.
    app.before_request(drop_forged_session_token)
    app.before_request(refuse_files_where_none_belong)
    csrf.init_app(app)


def drop_forged_session_token():
    """Forget a session token that Flask-WTF did not make.

    The session is a signed cookie: nobody can change it without the secret key.
    But a leaked or weak key happens, so whatever the session holds is checked
    like any other input. Flask-WTF compares tokens with hmac.compare_digest,
    which raises TypeError (a 500) for a list or a number, and it would sign and
    hand out "safe" Markup or any other string as it is. `type(...) is str`
    refuses Markup (a str subclass), lists, numbers and None; the pattern refuses
    any other text. A page then gets a fresh token, and a POST is refused (400).
    """
    if "csrf_token" not in session:
        return
    token = session["csrf_token"]
    if type(token) is not str or not SESSION_TOKEN_PATTERN.fullmatch(token):
        del session["csrf_token"]


def refuse_files_where_none_belong():
    """400 for a file sent to any form but bodies.FORMS_WITH_FILES (a new thread, a reply).

    Only those two forms have a file field. Anywhere else, a file is a text field
    sent as a file part (username=<a file>): it is not in request.form, so the
    form would be checked as if that field had been left empty. The body is
    small here (bodies.py holds it to MAX_FORM_MEMORY_SIZE)."""
    if request.endpoint not in FORMS_WITH_FILES and request.files:
        raise NoFilesHere()
