"""Step 18: formatting. Quote links (>>N), quoted lines, web links and backlinks, safely.

What a user notices: ">>12" in a post is a link to post 12 (on the same page,
or in its own thread), and post 12 says "Replies: >>13 ..." under it; a line
that starts with ">" is shown as a quote; a web address is a link. Nothing
else a poster types ever becomes markup: the body is escaped first, then the
few links and quotes are added (formatting.render_body).

Every post here goes through the forms, and the tests read the rendered page:
everything inside a post's body must be one of the three kinds of markup the
step adds (forum.quote_link, forum.quote_line, forum.web_link), with exactly
those attributes, and its text must be exactly what was typed.
"""

import re

import pytest
from forum import (
    BOARD,
    LiveBrowser,
    create_thread,
    markup,
    page,
    post_body,
    post_form,
    post_ids,
    quote_line,
    quote_link,
    reply,
    staff_client,
    web_link,
)
from test_15_live import article, last_event, live_url, receive, sockets, with_html_trimmed  # noqa: F401

pytestmark = pytest.mark.since("18")

MAX_BODY = 5000  # the longest message the forms accept (step 03)


# --- helpers -------------------------------------------------------------------


def reply_id(client, thread_id, body):
    """Post a reply through the thread's form; return its id."""
    response = reply(client, thread_id, body)
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return int(re.search(r"#post-(\d+)$", response.headers["Location"]).group(1))


def thread_html(client, thread_id):
    return client.get(f"/threads/{thread_id}").get_data(as_text=True)


def shown(client, thread_id, post_id):
    """A post's body as the thread page shows it: its markup and its text."""
    body = post_body(thread_html(client, thread_id), post_id)
    assert body is not None, f"post {post_id} has no body on the page of thread {thread_id}"
    return {"markup": markup(body), "text": body.text()}


def backlinks(html, post_id=None):
    """What a post says under it about the posts that quote it: the text of its
    backlinks line and its links as (text, href); None when it has no such line.
    Without ``post_id``, the backlinks line anywhere in ``html``."""
    shown = page(html)
    scope = shown.root if post_id is None else shown.find_by_id(f"post-{post_id}")
    line = next((e for e in scope.descendants() if "backlinks" in e.get("class", "").split()), None)
    if line is None:
        return None
    links = [(link.text(), link.get("href")) for link in line.descendants() if link.tag == "a"]
    return {"text": line.text(), "links": links}


def moderate(staff, action):
    response = post_form(staff, f"/boards/{BOARD}", action, {})
    assert response.status_code == 303, f"{action}: {response.status_code}"


# --- hostile input -----------------------------------------------------------------------------

# (what is typed, what the body must hold): {op} is the thread's opening post,
# {deleted} a reply a moderator deleted, {other} the opening post of another thread
# ({other_thread}), {missing} an id no post has.
HOSTILE = {
    ">> then a script": (
        ">><script>alert(1)</script>",
        [quote_line(">><script>alert(1)</script>")],
    ),
    ">>N then an attribute": (
        'see >>{op}" onmouseover="alert(1)',
        [quote_link("{op}", "#post-{op}")],
    ),
    ">>N then a tag": (
        "see >>{op}<img src=x onerror=alert(1)>",
        [quote_link("{op}", "#post-{op}")],
    ),
    "a tag of its own": ("<img src=x onerror=alert(1)>", []),
    "an escaped tag stays as typed": ("&lt;b&gt;bold&lt;/b&gt; &amp; &#34;", []),
    "javascript: URL": ("javascript:alert(document.cookie)", []),
    "javascript: in a link of its own": ('<a href="javascript:alert(1)">click</a>', []),
    "data: URL": ("data:text/html,<script>alert(1)</script>", []),
    "protocol-relative URL": ("//evil.example.com/x", []),
    "URL with & and a trailing full stop": (
        "read https://example.com/a?b=1&c=2.",
        [web_link("https://example.com/a?b=1&c=2")],
    ),
    "URL in brackets, then punctuation": (
        "(see https://example.com/page)!",
        [web_link("https://example.com/page")],
    ),
    "URL, trailing ,;:?": ("http://example.com/x,;:? next", [web_link("http://example.com/x")]),
    'URL, then " and an attribute': (
        'https://example.com/"onmouseover="alert(1)',
        [web_link("https://example.com/")],
    ),
    "URL, then ' and an attribute": (
        "https://example.com/'onmouseover='alert(1)",
        [web_link("https://example.com/")],
    ),
    "URL, then a tag": (
        "https://example.com/<script>alert(1)</script>",
        [web_link("https://example.com/")],
    ),
    "nested quotes": (
        ">> > nested\n> > > deeper\n>not a >>quote",
        [quote_line(">> > nested"), quote_line("> > > deeper"), quote_line(">not a >>quote")],
    ),
    "a quote link inside a quoted line": (
        "> as >>{op} said",
        [quote_line("> as >>{op} said"), quote_link("{op}", "#post-{op}")],
    ),
    ">> of a post that does not exist": ("about >>{missing}", []),
    ">> of a deleted post": ("about >>{deleted}", []),
    ">> of a post in another thread": (
        "see >>{other}",
        [quote_link("{other}", "/threads/{other_thread}#post-{other}")],
    ),
    f"{MAX_BODY // 2:,} >> (the longest body allowed)": (
        ">>" * (MAX_BODY // 2),
        [quote_line(">>" * (MAX_BODY // 2))],
    ),
    f"{MAX_BODY // 2 - 1:,} >> after a letter": ("x" + ">>" * (MAX_BODY // 2 - 1), []),
}


def filled(value, ids):
    """``value`` (a string, or markup tuples of them) with {op}, {other}... filled in."""
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {key: filled(item, ids) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(filled(item, ids) for item in value)
    return value


def test_hostile_input_gets_only_the_markup_formatting_adds(app, client):
    """Every row is posted through the reply form, then read back from the thread page:
    the body holds exactly the expected links and quoted lines (with exactly their
    attributes) and nothing else, and its text is what was typed, character for character."""
    thread_id = create_thread(client, title="Target", body="Opening post")
    [op] = post_ids(client, thread_id)
    deleted = reply_id(client, thread_id, "Soon deleted")
    other_thread = create_thread(client, title="Elsewhere", body="Another thread")
    [other] = post_ids(client, other_thread)
    moderate(staff_client(app, "milo"), f"/mod/posts/{deleted}/delete")
    ids = {"op": op, "deleted": deleted, "other": other, "other_thread": other_thread, "missing": 999_999}

    seen, expected = {}, {}
    for case, (typed, body_markup) in HOSTILE.items():
        text = filled(typed, ids)
        assert len(text) <= MAX_BODY, case
        seen[case] = shown(client, thread_id, reply_id(client, thread_id, text))
        expected[case] = {"markup": filled(body_markup, ids), "text": " ".join(text.split())}
    assert seen == expected


def test_a_post_that_quotes_one_post_a_thousand_times_links_each(client):
    """Only distinct quotes are stored (at most 50 a post), but every >>N of a quoted
    post in the text is a link: a body of the longest length made of >>N."""
    thread_id = create_thread(client, body="Opening post")
    [op] = post_ids(client, thread_id)
    count = (MAX_BODY - 1) // len(f" >>{op}")
    post_id = reply_id(client, thread_id, "x" + f" >>{op}" * count)
    assert shown(client, thread_id, post_id)["markup"] == [quote_link(str(op), f"#post-{op}")] * count


def test_a_post_quotes_at_most_50_posts(client):
    """MAX_QUOTES_PER_POST: the first 50 distinct posts a body names are quoted (links
    and backlinks); the 51st is plain text and gets no backlink."""
    thread_id = create_thread(client, body="Post 0")
    quoted = post_ids(client, thread_id) + [reply_id(client, thread_id, f"Post {n}") for n in range(1, 51)]
    quoting = reply_id(client, thread_id, "Replies to " + " ".join(f">>{n}" for n in quoted))
    html = thread_html(client, thread_id)
    assert {
        "links": [item[1]["href"] for item in markup(post_body(html, quoting))],
        "backlinks": [n for n in quoted if backlinks(html, n) is not None],
    } == {"links": [f"#post-{n}" for n in quoted[:50]], "backlinks": quoted[:50]}


# --- backlinks ------------------------------------------------------------------------


def test_each_post_lists_its_replies_oldest_first_even_from_other_threads(app, client):
    """Under a quoted post: "Replies: >>B >>C >>D" (a link to each, oldest first; one in
    another thread links to that thread). A post nobody quotes has no such line. A
    deleted reply disappears from it, and its own quote links are gone with it."""
    thread_id = create_thread(client, title="Meteors", body="Opening post")
    [a] = post_ids(client, thread_id)
    b = reply_id(client, thread_id, f">>{a} I saw three")
    c = reply_id(client, thread_id, f"Same here >>{a} >>{b} >>{a}")
    elsewhere = create_thread(client, title="Elsewhere", body="Nothing yet")
    d = reply_id(client, elsewhere, f"As they said in >>{a}")

    before = thread_html(client, thread_id)
    moderate(staff_client(app, "milo"), f"/mod/posts/{c}/delete")
    after = thread_html(client, thread_id)
    assert {
        "A": backlinks(before, a),
        "B": backlinks(before, b),
        "C": backlinks(before, c),
        "D's quote": shown(client, elsewhere, d)["markup"],
        "A after C is deleted": backlinks(after, a),
        "B after C is deleted": backlinks(after, b),
    } == {
        "A": {
            "text": f"Replies: >>{b} >>{c} >>{d}",
            "links": [
                (f">>{b}", f"#post-{b}"),
                (f">>{c}", f"#post-{c}"),
                (f">>{d}", f"/threads/{elsewhere}#post-{d}"),
            ],
        },
        "B": {"text": f"Replies: >>{c}", "links": [(f">>{c}", f"#post-{c}")]},
        "C": None,
        "D's quote": [quote_link(str(a), f"/threads/{thread_id}#post-{a}")],
        "A after C is deleted": {
            "text": f"Replies: >>{b} >>{d}",
            "links": [(f">>{b}", f"#post-{b}"), (f">>{d}", f"/threads/{elsewhere}#post-{d}")],
        },
        "B after C is deleted": None,
    }


def test_a_quote_of_a_post_made_later_stays_plain_text(client):
    """Quotes are written when the post is stored, for posts that exist then: a >>N
    typed before post N exists never becomes a link, nor a backlink of N."""
    thread_id = create_thread(client, body="Opening post")
    [op] = post_ids(client, thread_id)
    early = reply_id(client, thread_id, f"Next will be >>{op + 2} and this is >>{op}")
    later = reply_id(client, thread_id, "Here I am")
    html = thread_html(client, thread_id)
    assert (later, markup(post_body(html, early)), backlinks(html, later)) == (
        op + 2, [quote_link(str(op), f"#post-{op}")], None
    )


# --- the JSON API -----------------------------------------------------------------------------


def body_html_on_the_page(html, post_id):
    """The exact HTML inside a post's body element on the page."""
    found = re.search(rf'id="post-{post_id}".*?<div class="post-body">(.*?)</div>', html, re.S)
    return found.group(1) if found else None


def test_the_api_gives_body_html_next_to_the_raw_body(client):
    """"body" stays the text as typed; "body_html" is the formatted body, the same
    HTML the thread page shows; the ?after= answer gives the same."""
    thread_id = create_thread(client, body="Opening <post>")
    [op] = post_ids(client, thread_id)
    typed = f">>{op} read https://example.com/?a=1&b=2.\n> a quote & <b>more</b>"
    post_id = reply_id(client, thread_id, typed)
    html = thread_html(client, thread_id)
    paged = {post["id"]: post for post in client.get(f"/api/threads/{thread_id}/posts").get_json()["posts"]}
    after = client.get(f"/api/threads/{thread_id}/posts?after={op}").get_json()["posts"]
    assert {
        "body": paged[post_id]["body"],
        "body_html": paged[post_id].get("body_html"),
        "opening body_html": paged[op].get("body_html"),
        "?after=": [post.get("body_html") for post in after],
    } == {
        "body": typed,
        "body_html": body_html_on_the_page(html, post_id),
        "opening body_html": "Opening &lt;post&gt;",
        "?after=": [body_html_on_the_page(html, post_id)],
    }
    assert markup(page(paged[post_id]["body_html"]).root) == [
        quote_link(str(op), f"#post-{op}"),
        web_link("https://example.com/?a=1&b=2"),
        quote_line("> a quote & <b>more</b>"),
    ]


def test_the_polling_answer_carries_the_backlinks_of_the_posts_quoted(client):
    """The page's fallback (?after=) must update backlinks too: each new post carries
    the backlinks line, as the page shows it, of every post it quotes in this thread."""
    thread_id = create_thread(client, body="Opening post")
    [a] = post_ids(client, thread_id)
    b = reply_id(client, thread_id, f">>{a} first")
    c = reply_id(client, thread_id, f">>{a} >>{b} second")
    html = thread_html(client, thread_id)
    posts = client.get(f"/api/threads/{thread_id}/posts?after={a}").get_json()["posts"]
    got = {
        post["id"]: [(item["post_id"], backlinks(item["html"])) for item in post.get("backlinks", [])]
        for post in posts
    }
    assert got == {b: [(a, backlinks(html, a))], c: [(a, backlinks(html, a)), (b, backlinks(html, b))]}


# --- live ----------------------------------------------------------------------------------------


def backlinks_line(html, post_id):
    """The exact HTML of a post's backlinks line on the page."""
    found = re.search(r'<p class="backlinks">.*?</p>', article(html, post_id) or "", re.S)
    return found.group(0) if found else None


@pytest.mark.live
def test_an_open_socket_gets_the_formatted_post_and_the_new_backlinks(app, live_server, sockets):  # noqa: F811
    """A reader has the thread open; someone quotes two posts of it: the socket brings the
    formatted post (the same <article> a reload shows) and, for each quoted post, its new
    backlinks line, as a reload shows it."""
    client = app.test_client()
    thread_id = create_thread(client, body="Opening post")
    [a] = post_ids(client, thread_id)
    b = reply_id(client, thread_id, "A reply")
    ws = sockets.open(live_url(live_server, thread_id, last_event(thread_html(client, thread_id))))

    status, location = LiveBrowser(live_server).post_form(
        f"/threads/{thread_id}", f"/threads/{thread_id}/replies", {"body": f">>{a} and >>{b}: <agreed>"}
    )
    assert status == 303, status
    c = int(re.search(r"#post-(\d+)$", location).group(1))
    got = [with_html_trimmed(message) for message in receive(ws, 1, within=2.0)]
    got = [
        {**m, "backlinks": [{**item, "html": item["html"].strip()} for item in m.get("backlinks", [])]}
        for m in got
    ]
    html = thread_html(client, thread_id)
    assert got == [
        {
            "type": "post",
            "event": last_event(html),
            "id": c,
            "html": article(html, c),
            "backlinks": [
                {"post_id": a, "html": backlinks_line(html, a)},
                {"post_id": b, "html": backlinks_line(html, b)},
            ],
        }
    ]
