""">>N quotes between posts: written with each post, read with the posts a page shows.

A post's ">>N" of posts that exist are written in the quotes table in the
post's own transaction (record_quotes). A page reads them with its posts, for
all of them at once (with_quotes): the quote links in each post's text and,
under each post, the posts that quote it ("Replies: >>130 >>131", its backlinks).
"""

from dataclasses import dataclass

from sqlalchemy import select

from .db import db
from .formatting import quoted_ids
from .models import Post, Quote


@dataclass
class QuotedPost:
    """A post that a new post quotes, with as much of it as its backlinks line
    needs (templates/_backlinks.html): a live page draws that line again."""

    id: int
    thread_id: int
    backlinks: list


def record_quotes(session, post):
    """Write the quotes of a new post (its id known: flushed), in its transaction:
    the distinct >>N of its text (the first MAX_QUOTES_PER_POST), of posts that
    exist now, never itself. A >>N of a later post stays text for good."""
    wanted = [post_id for post_id in quoted_ids(post.body) if post_id != post.id]
    if not wanted:
        return
    existing = session.scalars(select(Post.id).where(Post.id.in_(wanted)))
    session.add_all(Quote(post_id=post.id, quoted_id=quoted_id) for quoted_id in existing)


def with_quotes(posts, updates=False):
    """Fill in what each post's page needs for quotes, in two queries for any
    number of posts (see models.Post, formatting.body_html and backlinks):

    - post.quotes: {quoted id: its thread id}, the posts it links to;
    - post.backlinks: [(quoting id, its thread id)], the posts that quote it, oldest first;
    - with `updates` (a new post, for live pages): post.backlink_updates, a
      QuotedPost for each post it quotes in its own thread, whose backlinks
      line an open page must now show anew.

    Returns `posts`. A deleted post's rows went with it (ON DELETE CASCADE)."""
    if not posts:
        return posts
    ids = [post.id for post in posts]
    rows = db.session.execute(
        select(Quote.post_id, Quote.quoted_id, Post.thread_id)
        .join(Post, Post.id == Quote.quoted_id)
        .where(Quote.post_id.in_(ids))
    )
    quotes = {}
    for post_id, quoted_id, thread_id in rows:
        quotes.setdefault(post_id, {})[quoted_id] = thread_id
    for post in posts:
        post.quotes = dict(sorted(quotes.get(post.id, {}).items()))

    def quoted_here(post):
        return [quoted for quoted, thread in post.quotes.items() if thread == post.thread_id]

    updated = [quoted for post in posts for quoted in quoted_here(post)] if updates else []
    backlinks = backlinks_of([*ids, *updated])
    for post in posts:
        post.backlinks = backlinks.get(post.id, [])
        if updates:
            post.backlink_updates = [
                QuotedPost(quoted, post.thread_id, backlinks.get(quoted, [])) for quoted in quoted_here(post)
            ]
    return posts


def backlinks_of(post_ids):
    """{post id: [(quoting id, its thread id)], oldest first} for these posts."""
    rows = db.session.execute(
        select(Quote.quoted_id, Quote.post_id, Post.thread_id)
        .join(Post, Post.id == Quote.post_id)
        .where(Quote.quoted_id.in_(post_ids))
        .order_by(Quote.post_id)
    )
    backlinks = {}
    for quoted_id, post_id, thread_id in rows:
        backlinks.setdefault(quoted_id, []).append((post_id, thread_id))
    return backlinks
