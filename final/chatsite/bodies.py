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
- A body over MAX_CONTENT_LENGTH is refused with 413 before it is read.

Bodies of up to SPOOL_IN_MEMORY bytes are kept in memory, larger ones (uploads)
in a temporary file that disappears when the request ends.
"""

import io
import tempfile

from flask import request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

# Bodies up to this size stay in memory; larger ones go to a temporary file.
SPOOL_IN_MEMORY = 256 * 1024
CHUNK = 64 * 1024


class IncompleteBody(BadRequest):
    description = "The request ended before all of it arrived. Nothing was posted; please try again."


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
        except (IncompleteBody, RequestEntityTooLarge) as error:
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
        IncompleteBody or RequestEntityTooLarge."""
        limit = self.flask_app.config["MAX_CONTENT_LENGTH"]
        declared = environ.get("CONTENT_LENGTH", "")
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not declared and not chunked:
            return None
        if declared:
            if not (declared.isascii() and declared.isdigit()) or len(declared) > 18:
                raise IncompleteBody("The Content-Length header is not a number.")
            expected = int(declared)
            if limit is not None and expected > limit:
                raise RequestEntityTooLarge()
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
                    raise RequestEntityTooLarge()
        except BaseException:
            body.close()
            raise
        body.seek(0)
        return body


class SizedSpool(tempfile.SpooledTemporaryFile):
    """A SpooledTemporaryFile that counts what was written to it."""

    def __init__(self):
        super().__init__(max_size=SPOOL_IN_MEMORY)
        self.size = 0

    def write(self, data):
        self.size += len(data)
        return super().write(data)
