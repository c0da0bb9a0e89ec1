"""A small guard against cross-site request forgery (CSRF).

The danger: another website can hold a form that posts to this site. Your
browser would send it along with your cookies, so it would look like you wrote it.

The guard: each visitor's session gets a random token, and every form on our
pages carries it in a hidden field. Another site cannot read our pages, so it
cannot know the token, and a POST without the right token is refused.
"""

import hmac
import secrets

from flask import request, session
from werkzeug.exceptions import BadRequest

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
    if "csrf_token" not in session:
        session["csrf_token"] = secrets.token_urlsafe(32)
    return session["csrf_token"]


def check_csrf_token():
    """Refuse an unsafe request whose form does not carry this session's token."""
    if request.method not in UNSAFE_METHODS:
        return
    if request.routing_exception is not None:
        # No page here (404), or not for this method (405): let that error show.
        return
    # Reading request.form may itself stop the request with 413 Content Too Large.
    sent = request.form.get("csrf_token", "")
    expected = session.get("csrf_token", "")
    # compare_digest takes as long for a near miss as for a wild guess, so the
    # time of the answer does not give the token away one character at a time.
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CSRFError()
