"""What a live thread page is sent: each new post rendered as the page shows it.

The thread page learns of changes two ways: its WebSocket sends a message for
each event (live.py), and where no socket gets through it polls the API
(api.py, ?after=). Both send a new post the same way: its HTML, rendered from
templates/_post.html, the very include thread.html uses for each post, so a
post that arrives live is exactly what a reload shows, and nothing has to
escape the text a second time in JavaScript. It is the visitors' HTML, the
same for every reader: a post that arrives live has no moderator's Delete
button, even on a moderator's page (that button sits outside the include, in
thread.html). A moderator reloads the page to act on it.
"""

import json

from flask import current_app, render_template

# What the socket says instead of too much news at once (LIVE_BACKLOG_LIMIT,
# LIVE_MAX_MESSAGE_BYTES): live.js then loads it over HTTP, from the API.
CATCH_UP = {"type": "catch-up"}


def live_html(post):
    """What a live page needs of a new post: "html", its <article> as the thread page
    shows it; and, if it quotes posts of its own thread, "backlinks": for each,
    {"post_id", "html"}, that post's backlinks line as a reload would now show it
    (templates/_backlinks.html), which static/live.js puts in place. Used by the
    socket's "post" message (message_of) and the polling answer (?after=) alike."""
    shown = {"html": render_template("_post.html", post=post)}
    if post.backlink_updates:
        shown["backlinks"] = [
            {"post_id": quoted.id, "html": render_template("_backlinks.html", post=quoted)}
            for quoted in post.backlink_updates
        ]
    return shown


def message_of(event):
    """(the socket's message for an event, its JSON), or (None, None) for one that
    says nothing. A message larger than LIVE_MAX_MESSAGE_BYTES is CATCH_UP instead:
    the page loads that post from the API."""
    message = {"type": event.kind, "event": event.id}
    if event.kind == "post":
        post = event.post
        if post is None:
            return None, None  # deleted since: its "delete" event comes next, so say nothing
        message["id"] = post.id
        # The visitor's HTML of the post: the very include thread.html uses; and
        # the new backlinks lines of the posts of this thread it quotes.
        message.update(live_html(post))
    elif event.kind == "delete":
        message["id"] = event.post_id
    elif event.kind == "move":
        if event.board is None:
            return None, None  # the thread is gone: its "thread-delete" comes next
        message["board"] = event.board
    text = json.dumps(message)
    # json.dumps writes ASCII only (\u escapes): its length is its size in bytes.
    if len(text) > current_app.config["LIVE_MAX_MESSAGE_BYTES"]:
        return CATCH_UP, json.dumps(CATCH_UP)
    return message, text
