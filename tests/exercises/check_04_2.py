"""Exercise 04.2 · Quote a post: a Quote link fills the reply box with the post's text."""

import urllib.parse

from forum import create_thread, page, post_ids, reply
from helpers import typed_text

OPENING = "Look at <b>this</b>\nSecond line"


def quote_links(client, thread_id):
    """The addresses of the thread page's "Quote" links, in page order."""
    shown = page(client.get(f"/threads/{thread_id}"))
    return [link.get("href") for link in shown.links() if link.text() == "Quote"]


def reply_box(client, address):
    """What the reply box holds on the page at ``address``."""
    form = page(client.get(address)).form_with("body")
    assert form is not None, f"{address} has no reply form"
    return typed_text(form.fields["body"]).strip("\n")


def test_each_post_has_a_quote_link_with_its_id(client):
    """Each post has a "Quote" link to its thread's page with ?quote=<the post's id>.

    Hint: in thread.html, in each post: <a href="{{ url_for('show_thread',
    thread_id=thread.id, quote=post.id) }}">Quote</a>.
    """
    thread_id = create_thread(client, body=OPENING)
    reply(client, thread_id, "A reply")
    links = [urllib.parse.urlsplit(href) for href in quote_links(client, thread_id)]
    assert links, "the thread page has no link called Quote"
    assert {link.path for link in links} == {f"/threads/{thread_id}"}, f"the links go to {links}"
    quoted = [urllib.parse.parse_qs(link.query).get("quote", ["?"])[0] for link in links]
    assert quoted == [str(post_id) for post_id in post_ids(client, thread_id)], f"?quote= {quoted}"


def test_a_quote_link_fills_the_reply_box_with_the_quoted_lines(client):
    """Opening a post's Quote link shows the reply box filled with its text, each line starting with "> ".

    Hint: in show_thread, read request.args.get("quote"), find that post of the
    thread, and pass form={"body": ...} to render_thread, with "> " in front of
    each line of post["body"].splitlines().
    """
    thread_id = create_thread(client, body=OPENING)
    # The first post's Quote link (or, without one, the address it should have).
    links = quote_links(client, thread_id) or [f"/threads/{thread_id}?quote={post_ids(client, thread_id)[0]}"]
    address = urllib.parse.urlsplit(links[0])._replace(fragment="").geturl()
    box = reply_box(client, address)
    assert box.splitlines() == ["> Look at <b>this</b>", "> Second line"], f"the reply box holds {box!r}"


def test_still_a_quote_of_no_post_leaves_the_box_empty(client):
    """A ?quote= that names no post of the thread (999, abc) shows the page with an empty reply box.

    Hint: when no post has that id, use "" rather than failing.
    """
    thread_id = create_thread(client, body=OPENING)
    for value in ("999", "abc"):
        address = f"/threads/{thread_id}?quote={value}"
        assert client.get(address).status_code == 200, f"{address} answers {client.get(address).status_code}"
        assert reply_box(client, address) == "", f"{address} fills the reply box"
