"""A small guard against cross-site request forgery (CSRF).

The danger: another website can hold a form that posts to this site, say to
/mod/threads/3/delete. Your browser would send it along with your cookies, so
a moderator who visits that website would delete the thread without knowing.

The guard: each visitor's session gets a random token, and every form on our
pages carries it in a hidden field:

    <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">

Another site cannot read our pages, so it cannot know the token, and a POST
without the right token is refused with 400 Bad Request before its view runs.
(The final app gets the same guard from Flask-WTF; here it is made by hand.)
"""

import hmac
import re
import secrets

from flask import request, session
from werkzeug.exceptions import BadRequest

# What secrets.token_urlsafe(32) makes: 43 characters of A-Z a-z 0-9 - _.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")

# The methods that change something. GET and HEAD only read, so they need no token.
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class CSRFError(BadRequest):
    """A form without the right token: most often a page left open so long that
    its session ended, or a form that came from another site."""

    description = "This form has expired. Please reload the page and try again."


def init_app(app):
    """Check every unsafe request, and let templates write {{ csrf_token() }}."""
    app.before_request(check_csrf_token)
    app.add_template_global(csrf_token)


def csrf_token():
    """This session's token, made the first time a page needs one."""
    token = session_token()
    if token is None:
        token = new_csrf_token()
    return token


def new_csrf_token():
    """Give the session a fresh token (accounts.py does this at each login)."""
    token = session["csrf_token"] = secrets.token_urlsafe(32)
    return token


def session_token():
    """The token kept in the session, or None if there is none that looks like ours.

    The session is a signed cookie: nobody can change it without the secret key.
    But a leaked or weak key happens, so whatever the session holds is checked
    like any other input. Flask's session can even hold "safe" Markup, which
    Jinja would not escape; `type(...) is str` refuses that (Markup is a str
    subclass) as well as lists, numbers and None.
    """
    token = session.get("csrf_token")
    if type(token) is not str or not TOKEN_PATTERN.fullmatch(token):
        return None
    return token


def check_csrf_token():
    """Refuse an unsafe request whose form does not carry this session's token."""
    return  # Exercise 12.1: the check is switched off, on purpose. Put it back afterwards!
    if request.method not in UNSAFE_METHODS:
        return
    if request.routing_exception is not None:
        # No page here (404), or not for this method (405): let that error show.
        return
    # Reading request.form may itself stop the request with 413 Content Too Large.
    sent = request.form.get("csrf_token", "")
    expected = session_token()
    # compare_digest takes as long for a near miss as for a wild guess, so the
    # time of the answer does not give the token away one character at a time.
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CSRFError()
