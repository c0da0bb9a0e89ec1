"""Formatting: render_body (escape first, then markup), the quotes table, quote
links and backlinks on the pages, in the JSON API and in live updates.

The hostile-input table is the heart of it: what is typed, and the exact HTML
that must come out. Every row is run through formatting.render_body with the
same quote_urls: post 1 is on this page, post 7 in thread 3, and no other post
exists.
"""

import html
import re

import pytest
from flask_migrate import downgrade, upgrade
from forum import create_thread, reply
from sqlalchemy import text

from chatsite import formatting, live_messages
from chatsite.db import db
from chatsite.formatting import MAX_QUOTES_PER_POST, render_body
from chatsite.quoting import QuotedPost

QUOTE_URLS = {1: "#post-1", 7: "/threads/3#post-7"}
REL = 'rel="nofollow ugc noopener"'
ONE = '<a class="quote-link" href="#post-1">&gt;&gt;1</a>'
SEVEN = '<a class="quote-link" href="/threads/3#post-7">&gt;&gt;7</a>'


def web(url):
    return f'<a href="{url}" {REL}>{url}</a>'


# (what is typed, the exact HTML render_body gives)
HOSTILE = [
    ("plain words", "plain words"),
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
    ("&lt;b&gt; typed as entities", "&amp;lt;b&amp;gt; typed as entities"),
    (">><script>", '<span class="quote">&gt;&gt;&lt;script&gt;</span>'),
    ('>>1" onmouseover="alert(1)', f"{ONE}&#34; onmouseover=&#34;alert(1)"),
    (">>1' onmouseover='alert(1)", f"{ONE}&#39; onmouseover=&#39;alert(1)"),
    (">>1<img src=x onerror=alert(1)>", f"{ONE}&lt;img src=x onerror=alert(1)&gt;"),
    (">>1 I agree", f"{ONE} I agree"),  # an answer, not a quoted line
    (">>7 in another thread", f"{SEVEN} in another thread"),
    (">>2 does not exist", "&gt;&gt;2 does not exist"),
    (">>1>>1>>2", f"{ONE}{ONE}&gt;&gt;2"),
    (">>>1", f'<span class="quote">&gt;{ONE}</span>'),
    (">>0001", '<a class="quote-link" href="#post-1">&gt;&gt;0001</a>'),  # post 1, as typed
    (">>" + "1" * 19, '<span class="quote">&gt;&gt;' + "1" * 19 + "</span>"),  # no post has 19 digits
    ("> a quote", '<span class="quote">&gt; a quote</span>'),
    ("> as >>1 said", f'<span class="quote">&gt; as {ONE} said</span>'),
    (">> > nested\n> > > deeper\n>not a >>quote", '<span class="quote">&gt;&gt; &gt; nested</span>\n'
     '<span class="quote">&gt; &gt; &gt; deeper</span>\n<span class="quote">&gt;not a &gt;&gt;quote</span>'),
    ("  > indented", "  &gt; indented"),
    ("line one\nline two", "line one\nline two"),  # no <br>: pre-wrap shows the line break
    ("javascript:alert(document.cookie)", "javascript:alert(document.cookie)"),
    ('<a href="javascript:alert(1)">x</a>', "&lt;a href=&#34;javascript:alert(1)&#34;&gt;x&lt;/a&gt;"),
    ("data:text/html,<script>", "data:text/html,&lt;script&gt;"),
    ("//evil.example.com/x", "//evil.example.com/x"),
    ("ftp://example.com and www.example.com", "ftp://example.com and www.example.com"),
    ("http://", "http://"),
    ("https://example.com/a?b=1&c=2.", web("https://example.com/a?b=1&amp;c=2") + "."),
    ("(see https://example.com/page)!", "(see " + web("https://example.com/page") + ")!"),
    ("http://example.com/x,;:? next", web("http://example.com/x") + ",;:? next"),
    ('https://example.com/"onmouseover="x', web("https://example.com/") + "&#34;onmouseover=&#34;x"),
    ("https://example.com/'onmouseover='x", web("https://example.com/") + "&#39;onmouseover=&#39;x"),
    ("https://example.com/<script>", web("https://example.com/") + "&lt;script&gt;"),
    ("https://a.org/>>1", web("https://a.org/") + ONE),
    ("> see https://a.org", '<span class="quote">&gt; see ' + web("https://a.org") + "</span>"),
    ("x" + ">>" * 2499, "x" + "&gt;&gt;" * 2499),
    (">>" * 2500, '<span class="quote">' + "&gt;&gt;" * 2500 + "</span>"),  # the longest body the forms take
    (">>" * 10_000, '<span class="quote">' + "&gt;&gt;" * 10_000 + "</span>"),
    (">>1 " * 10_000, f"{ONE} " * 10_000),
]


@pytest.mark.parametrize(("typed", "html"), HOSTILE, ids=[typed[:40] for typed, _ in HOSTILE])
def test_render_body_escapes_first_and_adds_only_its_own_markup(typed, html):
    assert render_body(typed, QUOTE_URLS) == html


def test_an_address_from_the_store_is_escaped_too():
    link = '<a class="quote-link" href="#&#34;&gt;&lt;script&gt;">&gt;&gt;1</a>'
    assert render_body(">>1", {1: '#"><script>'}) == link


def test_quoted_ids_are_distinct_in_order_and_at_most_50():
    assert formatting.quoted_ids(">>3 >>1 >>3 text >>2") == [3, 1, 2]
    assert formatting.quoted_ids("x >>" + " >>".join(str(n) for n in range(1, 80))) == list(range(1, 51))
    assert formatting.quoted_ids(">>" + "9" * 19 + " &gt;&gt;4") == []  # typed entities are text, not quotes


@pytest.mark.parametrize(
    "piece",
    [">>", ">>1", "> ", "https://a", "http://.", ">>" + "1" * 30, "<>&\"'", "https://x.org/" + "&" * 3],
)
def test_a_long_hostile_body_comes_out_as_typed_with_only_our_tags(piece):
    """50,000 characters of each piece that a careless pattern would backtrack on.
    The words come back exactly as typed (tags taken off, entities read back), and
    the only tags are ours. How the time grows with the length (10 times the text,
    about 10 times the time) is measured by final/bench/bench_upload.py, on the
    Performance page: a timed test would fail on a busy machine, not on a bad pattern."""
    body = (piece * (50_000 // len(piece) + 1))[:50_000]
    rendered = str(render_body(body, QUOTE_URLS))
    tags = set(re.findall(r"</?([a-z]+)", rendered))
    assert html.unescape(re.sub(r"<[^>]*>", "", rendered)) == body
    assert tags <= {"a", "span"}


# --- the quotes table, through the data layer (SQLite and PostgreSQL) -----------------------------------


def test_a_post_quotes_only_posts_that_exist_and_never_itself(posting, reading):
    thread = posting.add_thread("astronomy", "Meteors", "opening")
    [opening] = reading.thread_posts(thread.id)
    next_id = opening.id + 1
    reply_ = posting.add_reply(thread.id, f">>{opening.id} >>{next_id} >>{next_id + 1} >>{opening.id}")
    [_, shown] = reading.thread_posts(thread.id)
    assert shown.quotes == {opening.id: thread.id}  # itself (next_id) and a later post: no
    assert reading.thread_posts(thread.id)[0].backlinks == [(reply_.id, thread.id)]
    posting.add_reply(thread.id, "a later post")  # next_id + 1 exists now: still no quote
    assert reading.thread_posts(thread.id)[1].quotes == {opening.id: thread.id}


def test_a_post_quotes_the_first_50_posts_it_names(posting, reading):
    thread = posting.add_thread("astronomy", "Many", "opening")
    ids = [posting.add_reply(thread.id, f"post {n}").id for n in range(MAX_QUOTES_PER_POST + 1)]
    posting.add_reply(thread.id, " ".join(f">>{post_id}" for post_id in ids))
    posts = reading.thread_posts(thread.id)
    assert list(posts[-1].quotes) == ids[:MAX_QUOTES_PER_POST]
    assert [bool(post.backlinks) for post in posts[1:-1]] == [True] * MAX_QUOTES_PER_POST + [False]


def test_backlinks_are_oldest_first_across_threads_and_go_with_a_deleted_post(posting, reading, moderation):
    thread = posting.add_thread("astronomy", "Meteors", "A")
    [a] = [post.id for post in reading.thread_posts(thread.id)]
    b = posting.add_reply(thread.id, f">>{a} I saw three").id
    c = posting.add_reply(thread.id, f"Same >>{a} >>{b}").id
    elsewhere = posting.add_thread("chess", "Elsewhere", f"As in >>{a}")
    [d] = [post.id for post in reading.thread_posts(elsewhere.id)]
    posts = {post.id: post for post in reading.thread_posts(thread.id)}
    assert posts[a].backlinks == [(b, thread.id), (c, thread.id), (d, elsewhere.id)]
    assert posts[b].backlinks == [(c, thread.id)]
    assert reading.thread_posts(elsewhere.id)[0].quotes == {a: thread.id}

    moderation.delete_post(c, "milo")
    posts = {post.id: post for post in reading.thread_posts(thread.id)}
    assert (posts[a].backlinks, posts[b].backlinks) == ([(b, thread.id), (d, elsewhere.id)], [])
    moderation.delete_post(a, "milo")
    assert reading.thread_posts(elsewhere.id)[0].quotes == {}  # its >>a is plain text again


def test_a_new_posts_event_carries_the_backlinks_of_the_posts_it_quotes_in_its_thread(
    posting, reading, thread_events
):
    thread = posting.add_thread("astronomy", "Live", "A")
    [a] = [post.id for post in reading.thread_posts(thread.id)]
    b = posting.add_reply(thread.id, f">>{a}").id
    other = posting.add_thread("chess", "Other", "X")
    [x] = [post.id for post in reading.thread_posts(other.id)]
    c = posting.add_reply(thread.id, f">>{a} >>{b} >>{x}").id
    [event] = [event for event in thread_events.events_after(thread.id, 0) if event.post_id == c]
    assert event.post.backlink_updates == [
        QuotedPost(a, thread.id, [(b, thread.id), (c, thread.id)]),
        QuotedPost(b, thread.id, [(c, thread.id)]),
    ]  # and not x: it is not on this thread's page


# --- the pages, the API and the socket -------------------------------------------------------------


def quote_link(post_id, url):
    return f'<a class="quote-link" href="{url}">&gt;&gt;{post_id}</a>'


def backlinks_line(*post_ids):
    """The backlinks line of a post quoted by these posts of its own thread."""
    links = " ".join(quote_link(post_id, f"#post-{post_id}") for post_id in post_ids)
    return f'<p class="backlinks">Replies: {links}</p>'


def post_id_of(response):
    return int(re.search(r"#post-(\d+)$", response.headers["Location"]).group(1))


def test_the_thread_page_shows_links_quoted_lines_and_backlinks(client):
    thread_id = create_thread(client, body="Opening <b>post</b>")
    other = create_thread(client, title="Other", body="Elsewhere")
    [op, elsewhere] = [thread_id, other]
    first = client.get(f"/api/threads/{op}/posts").json["posts"][0]["id"]
    away = client.get(f"/api/threads/{elsewhere}/posts").json["posts"][0]["id"]
    quoting = post_id_of(reply(client, op, f">>{first} and >>{away}\n> quoted <i>"))
    html = client.get(f"/threads/{op}").get_data(as_text=True)
    assert (
        f'<div class="post-body"><a class="quote-link" href="#post-{first}">&gt;&gt;{first}</a> and '
        f'<a class="quote-link" href="/threads/{elsewhere}#post-{away}">&gt;&gt;{away}</a>\n'
        '<span class="quote">&gt; quoted &lt;i&gt;</span></div>'
    ) in html
    assert f'<p class="backlinks">Replies: {quote_link(quoting, f"#post-{quoting}")}</p>' in html
    away_html = client.get(f"/threads/{elsewhere}").get_data(as_text=True)
    assert f"Replies: {quote_link(quoting, f'/threads/{op}#post-{quoting}')}</p>" in away_html
    assert html.count('class="backlinks"') == 1


def test_the_api_gives_body_html_and_the_polling_answer_the_backlinks(client):
    thread_id = create_thread(client, body="A")
    [a] = [post["id"] for post in client.get(f"/api/threads/{thread_id}/posts").json["posts"]]
    b = post_id_of(reply(client, thread_id, f">>{a} <yes> https://example.com/?x=1&y=2."))
    posts = client.get(f"/api/threads/{thread_id}/posts").json["posts"]
    assert posts[1]["body"] == f">>{a} <yes> https://example.com/?x=1&y=2."
    assert posts[1]["body_html"] == (
        f'<a class="quote-link" href="#post-{a}">&gt;&gt;{a}</a> &lt;yes&gt; '
        + web("https://example.com/?x=1&amp;y=2")
        + "."
    )
    new = client.get(f"/api/threads/{thread_id}/posts?after=0").json["posts"]
    assert "backlinks" not in new[0]  # quotes nothing: the key is left out
    assert new[1]["backlinks"] == [{"post_id": a, "html": backlinks_line(b)}]


def test_the_sockets_post_message_carries_the_new_backlinks(app, posting, reading, thread_events):
    thread = posting.add_thread("astronomy", "Live", "A")
    [a] = [post.id for post in reading.thread_posts(thread.id)]
    b = posting.add_reply(thread.id, f">>{a} yes").id
    with app.test_request_context():
        [*_, event] = thread_events.events_after(thread.id, 0)
        message, _text = live_messages.message_of(event)
    assert message["html"].startswith(f'<article class="post" id="post-{b}">')
    assert f'<a class="quote-link" href="#post-{a}">&gt;&gt;{a}</a> yes' in message["html"]
    assert message["backlinks"] == [{"post_id": a, "html": backlinks_line(b)}]


def test_live_js_puts_the_backlinks_in_place(client):
    script = client.get("/static/live.js").get_data(as_text=True)
    assert script.count("updateBacklinks(") == 3  # defined, and called for the socket and for polling


def test_0007_adds_the_quotes_table_and_a_downgrade_removes_it(app, posting, reading):
    thread = posting.add_thread("astronomy", "T", "A")
    posting.add_reply(thread.id, f">>{reading.thread_posts(thread.id)[0].id}")
    with app.app_context():
        downgrade(revision="0006")
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM posts")).scalar() == 2
        upgrade()
    # The quotes table is new and empty: quotes are written with new posts only.
    assert [post.quotes for post in reading.thread_posts(thread.id)] == [{}, {}]
