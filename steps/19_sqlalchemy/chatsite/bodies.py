"""Whole request bodies only: read every body completely before the app sees it.

A WSGI middleware, wrapped around the app by create_app(). It does what a
buffering proxy (nginx) does in front of an app server:

- A slow client (one byte every few seconds) is waited for here, where waiting
  costs nothing but a greenlet (see gunicorn.conf.py). Only a complete request
  reaches the app, so no view, and no database connection, is held up by a
  visitor who trickles a body.
- A body that ends before its Content-Length (the client closed the
  connection half-way) or a broken chunked body is refused with 400 Bad
  Request, here, before anything is parsed: a truncated form must never be
  stored as a shorter post.
- A body over MAX_CONTENT_LENGTH is refused with 413 before it is read. Only a
  multipart form sent to one of FORMS_WITH_FILES (a new thread, a reply) may be
  that large: every other body, of any type, is text at most, and is refused
  over MAX_FORM_MEMORY_SIZE (413 too). The CSRF check reads the form of every
  POST: 16 MB of "&a=&a=..." to /login took seconds and ~800 MB to split.

Bodies of up to SPOOL_IN_MEMORY bytes are kept in memory, larger ones (uploads)
in a temporary file that disappears when the request ends.
"""

import io
import tempfile

from flask import request
from werkzeug.exceptions import BadRequest, HTTPException, RequestEntityTooLarge
from werkzeug.http import parse_options_header

# Bodies up to this size stay in memory; larger ones go to a temporary file.
SPOOL_IN_MEMORY = 256 * 1024
CHUNK = 64 * 1024

# The two forms that may carry a file (their endpoints): the only large requests.
FORMS_WITH_FILES = ("boards.create_thread", "boards.create_reply")


class IncompleteBody(BadRequest):
    description = "The request ended before all of it arrived. Nothing was posted; please try again."


class FormTooLarge(HTTPException):
    """413 for a body over MAX_FORM_MEMORY_SIZE, sent where no file belongs. Not
    a RequestEntityTooLarge: errors.py keeps that one's message ("larger than 17
    MiB in all") for MAX_CONTENT_LENGTH, and says this one had too much text."""

    code = 413


def init_app(app):
    """Wrap the app in the middleware, and let Flask answer the errors it finds."""
    app.wsgi_app = WholeRequestBodies(app, app.wsgi_app)
    app.before_request(refuse_a_broken_body)


def refuse_a_broken_body():
    """Raise the error the middleware found, inside Flask, so that errors.py shows
    its usual page (JSON under /api/). Registered first: it runs before the CSRF check."""
    error = request.environ.get("chatsite.body_error")
    if error is not None:
        raise error


class WholeRequestBodies:
    def __init__(self, flask_app, wsgi_app):
        self.flask_app = flask_app
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        try:
            body = self.read_whole_body(environ)
        except (IncompleteBody, RequestEntityTooLarge, FormTooLarge) as error:
            # Let the request through with no body; refuse_a_broken_body() raises the error.
            environ["chatsite.body_error"] = error
            environ["wsgi.input"] = io.BytesIO()
            environ["CONTENT_LENGTH"] = "0"
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            return self.wsgi_app(environ, start_response)
        if body is None:
            return self.wsgi_app(environ, start_response)
        with body:
            environ["wsgi.input"] = body
            environ["CONTENT_LENGTH"] = str(body.size)
            # The body is now complete and of a known length: Werkzeug may read it all.
            environ.pop("wsgi.input_terminated", None)
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            return self.wsgi_app(environ, start_response)

    def read_whole_body(self, environ):
        """The whole body as a file, None when the request has none. Raises
        IncompleteBody, RequestEntityTooLarge or FormTooLarge."""
        limit, too_large = self.limit_for(environ)
        declared = environ.get("CONTENT_LENGTH", "")
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not declared and not chunked:
            return None
        if declared:
            if not (declared.isascii() and declared.isdigit()) or len(declared) > 18:
                raise IncompleteBody("The Content-Length header is not a number.")
            expected = int(declared)
            if limit is not None and expected > limit:
                raise too_large()
        else:
            expected = None  # chunked: read until the server says the body ended
        body = SizedSpool()
        stream = environ["wsgi.input"]
        try:
            while expected is None or body.size < expected:
                wanted = CHUNK if expected is None else min(CHUNK, expected - body.size)
                try:
                    data = stream.read(wanted)
                except (OSError, ValueError) as error:
                    # The client vanished, or sent a broken chunked body (gunicorn and
                    # Werkzeug's servers raise OSError or ValueError subclasses for it).
                    raise IncompleteBody() from error
                if not data:
                    if expected is not None:
                        raise IncompleteBody()  # fewer bytes than Content-Length promised
                    break
                body.write(data)
                if limit is not None and body.size > limit:
                    raise too_large()
        except BaseException:
            body.close()
            raise
        body.seek(0)
        return body

    def limit_for(self, environ):
        """The most bytes this request's body may have, and the error past it:
        MAX_CONTENT_LENGTH for a multipart form sent to FORMS_WITH_FILES,
        MAX_FORM_MEMORY_SIZE (or less) for any other body."""
        config = self.flask_app.config
        limit, text_limit = config["MAX_CONTENT_LENGTH"], config["MAX_FORM_MEMORY_SIZE"]
        mimetype = parse_options_header(environ.get("CONTENT_TYPE", ""))[0]
        takes_files = mimetype == "multipart/form-data" and self.endpoint(environ) in FORMS_WITH_FILES
        if takes_files or text_limit is None or (limit is not None and limit <= text_limit):
            return limit, RequestEntityTooLarge
        return text_limit, FormTooLarge

    def endpoint(self, environ):
        """The endpoint the request's address and method lead to, as Flask will
        find it (None when none does: Flask will answer 404 or 405)."""
        try:
            endpoint, _ = self.flask_app.url_map.bind_to_environ(environ).match()
        except HTTPException:
            return None
        return endpoint


class SizedSpool(tempfile.SpooledTemporaryFile):
    """A SpooledTemporaryFile that counts what was written to it."""

    def __init__(self):
        super().__init__(max_size=SPOOL_IN_MEMORY)
        self.size = 0

    def write(self, data):
        self.size += len(data)
        return super().write(data)
