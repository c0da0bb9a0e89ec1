"""Search: the threads whose title or posts contain every word of a query.

A word matches the start of a word in the text: "tele" finds "telescope". The
database's full-text index finds the matches, not a scan of every post: FTS5
tables on SQLite, GIN indexes on PostgreSQL (migration 0001 makes the right
one). Both find the same threads (final/tests/test_search.py checks it).
"""

import re
from collections import namedtuple
from dataclasses import dataclass
from functools import cache

from sqlalchemy import bindparam, func, intersect, literal_column, select, union_all
from sqlalchemy.sql import column, table

from .db import db
from .models import Board, Post, Thread
from .reading import find_board

# How many results one search page shows.
RESULTS_PER_PAGE = 50

# A search looks at no more than this many distinct words.
MAX_SEARCH_WORDS = 8

# SQLite's full-text indexes (FTS5 tables made by the migration). Declared
# here only so that queries can name them.
POST_SEARCH = table("post_search", column("rowid"))
THREAD_SEARCH = table("thread_search", column("rowid"))
# PostgreSQL: the text-search configuration of the GIN indexes. "simple" only
# lowercases, like SQLite's unicode61 tokenizer: no stemming, so both find the same.
SIMPLE = literal_column("'simple'::regconfig")


@dataclass
class SearchResult:
    """One thread found, as the results page shows it."""

    thread: Thread
    board: Board
    excerpt: str  # where the first word is in its posts, or the start of its first post ("" if none)


def search(query, page=1, per_page=RESULTS_PER_PAGE):
    """Threads whose title or posts contain every word of the query, ignoring case.

    Returns (results, total): one page of SearchResult, the most recently
    active thread first, and how many threads match in all. An empty query
    finds nothing.
    """
    words = search_words(query)
    if not words:
        return [], 0
    dialect = db.session.get_bind().dialect.name
    queries = search_queries(dialect, len(words))
    values = {f"word{number}": word_pattern(dialect, word) for number, word in enumerate(words)}
    # How many threads match, and the highest thread id (about how many
    # threads there are, to choose how to find the page), in one query.
    total, last_id = db.session.execute(queries.count, values).one()
    start = (page - 1) * per_page
    if start >= total:
        return [], total
    page_query = queries.walk if walking_is_shorter(total, last_id, start, per_page) else queries.look_up
    threads = list(db.session.scalars(page_query, {**values, "start": start, "per_page": per_page}))
    excerpts = excerpts_for([thread.id for thread in threads], words[0])
    results = [
        SearchResult(thread, find_board(thread.board), excerpts.get(thread.id, "")) for thread in threads
    ]
    return results, total


def search_words(query):
    """The distinct lower-case words of a query, in order, at most MAX_SEARCH_WORDS.

    A "word" is a run of letters and digits, the same rule as the full-text
    indexes, so punctuation can never reach the search syntax.
    """
    words = dict.fromkeys(re.findall(r"[^\W_]+", query.lower()))
    return list(words)[:MAX_SEARCH_WORDS]


# The SELECTs of a search for some number of words (see search_queries).
SearchQueries = namedtuple("SearchQueries", "count walk look_up")


@cache
def search_queries(dialect, word_count):
    """The SELECTs of a search for `word_count` words on `dialect` ("sqlite" or
    "postgresql"), built once and kept.

    Building a SELECT this size with SQLAlchemy takes about as long as SQLite
    takes to run it, so each is built once, with placeholders (bindparam) for
    the words (word0, word1... see word_pattern) and the page (start, per_page),
    and run with new values each time:

    - count: how many threads match, and the highest thread id;
    - walk and look_up: one page of them, most recently active first, found
      one of two ways (see walking_is_shorter).
    """
    words = [bindparam(f"word{number}") for number in range(word_count)]
    matching = threads_with_every_word(dialect, words).subquery()
    count = select(func.count(matching.c.thread_id.distinct()), select(func.max(Thread.id)).scalar_subquery())
    newest_first = (
        select(Thread)
        .order_by(Thread.bump_order.desc())
        .limit(bindparam("per_page"))
        .offset(bindparam("start"))
    )
    look_up = newest_first.where(Thread.id.in_(select(matching.c.thread_id)))
    if dialect != "sqlite":
        return SearchQueries(count, look_up, look_up)  # PostgreSQL's planner chooses by itself
    # "threads.id + 0" is not the id column: SQLite cannot use it to find the
    # threads, so it walks ix_threads_bump_order instead.
    walk = newest_first.where((Thread.id + 0).in_(select(matching.c.thread_id)))
    return SearchQueries(count, walk, look_up)


def walking_is_shorter(total, threads, start, per_page):
    """Whether to find a page of results by walking, for `total` matches among about `threads`.

    There are two ways to find the page, and the faster one depends on how many match:

    - walk all threads newest first (index ix_threads_bump_order), keeping the
      matching ones until the page is full: about (start + per_page) x threads / total
      steps, few when many threads match;
    - look every matching thread up by id, then sort them: about `total` steps.

    PostgreSQL's planner estimates how many rows a full-text search finds and
    chooses by itself. SQLite's cannot see into FTS5, so we choose for it.
    """
    return (start + per_page) * threads < total * total


def word_pattern(dialect, word):
    """The value for a word's placeholder: "a word starting with `word`" in the
    database's own syntax. `word` holds only letters and digits (search_words)."""
    if dialect == "postgresql":
        return word + ":*"  # a tsquery
    return f'"{word}"*'  # FTS5: a quoted word, * for "starting with"


def threads_with_every_word(dialect, words):
    """A SELECT of the ids ("thread_id") of the threads that have every one of `words`
    (their placeholders): one set of threads per word, and the threads that are
    in all of them. (An id may come more than once: count them with DISTINCT.)"""
    per_word = [threads_with_word(dialect, word) for word in words]
    if len(per_word) == 1:
        return per_word[0]
    # Each set in brackets, as a subquery: SQLite reads "a UNION b INTERSECT c" left to right.
    return intersect(*(select(threads.subquery().c.thread_id) for threads in per_word))


def threads_with_word(dialect, word):
    """A SELECT of the ids ("thread_id") of the threads whose title or some post has a
    word starting with `word` (a placeholder, see word_pattern).

    A thread with the word in several posts comes several times: UNION ALL,
    not UNION, which would sort them out at a cost. "IN (...)" and INTERSECT
    take each id once anyway.

    On SQLite the post index knows each post's thread (its rowid is a search key,
    see thread_of_key), so this reads the index and nothing else.
    """
    if dialect == "postgresql":
        title_has_word = func.to_tsvector(SIMPLE, Thread.title).op("@@")(func.to_tsquery(SIMPLE, word))
        in_posts = select(Post.thread_id).where(post_has_word(word))
        in_titles = select(Thread.id).where(title_has_word)
    else:
        in_posts = select(thread_of_key(POST_SEARCH.c.rowid).label("thread_id"))
        in_posts = in_posts.where(fts_match("post_search", word))
        in_titles = select(THREAD_SEARCH.c.rowid).where(fts_match("thread_search", word))
    return union_all(in_posts, in_titles)  # the first SELECT names the column


def posts_with_word(dialect, word, thread_ids):
    """A SELECT of the ids of the posts of these threads that have a word starting with `word`."""
    if dialect == "postgresql":
        return select(Post.id).where(Post.thread_id.in_(thread_ids), post_has_word(word))
    key = POST_SEARCH.c.rowid
    return select(post_of_key(key)).where(fts_match("post_search", word), thread_of_key(key).in_(thread_ids))


def post_has_word(word):
    """PostgreSQL: the condition "this post has a word starting with `word`", for a WHERE clause."""
    # The same expression as the GIN index, so that PostgreSQL uses the index.
    return func.to_tsvector(SIMPLE, Post.body).op("@@")(func.to_tsquery(SIMPLE, word))


def thread_of_key(key):
    """SQLite: the thread id in a post's search key (the rowid of post_search).

    The key is thread_id << 32 | post id (migration 0002): the thread in the
    high bits, the post in the low 32 bits.
    """
    return key.bitwise_rshift(32)


def post_of_key(key):
    """SQLite: the post id in a post's search key (see thread_of_key)."""
    return key.bitwise_and(0xFFFFFFFF)


def fts_match(index, word):
    """SQLite: "<index> MATCH :word", for the FTS5 table `index`."""
    return literal_column(index).op("MATCH")(word)


@cache
def excerpt_queries(dialect):
    """The two SELECTs of excerpts_for, built once (see search_queries): the posts
    of some threads (placeholder thread_ids) that have a word (word0), and the
    first post of each of some threads (thread_ids)."""
    thread_ids = bindparam("thread_ids", expanding=True)  # a list of any length
    with_word = (
        select(Post.thread_id, Post.body)
        .where(Post.id.in_(posts_with_word(dialect, bindparam("word0"), thread_ids)))
        .order_by(Post.id.desc())  # the oldest last, so that it wins
    )
    first_post_ids = select(func.min(Post.id)).where(Post.thread_id.in_(thread_ids)).group_by(Post.thread_id)
    first_posts = select(Post.thread_id, Post.body).where(Post.id.in_(first_post_ids))
    return with_word, first_posts


def excerpts_for(thread_ids, word, width=160):
    """{thread id: excerpt} for one page of results: about `width` characters around
    `word` in the first post that has it, else the start of the thread's first post."""
    if not thread_ids:
        return {}
    dialect = db.session.get_bind().dialect.name
    with_word, first_posts = excerpt_queries(dialect)
    excerpts = {}
    values = {"word0": word_pattern(dialect, word), "thread_ids": thread_ids}
    for thread_id, body in db.session.execute(with_word, values):
        position = body.lower().find(word)
        if position != -1:
            excerpts[thread_id] = cut(body, max(0, position - width // 3), width)
    # The others (found by their title): the start of their first post, if they have one.
    others = [thread_id for thread_id in thread_ids if thread_id not in excerpts]
    if others:
        for thread_id, body in db.session.execute(first_posts, {"thread_ids": others}):
            excerpts[thread_id] = cut(body, 0, width)
    return excerpts


def cut(text, start, width):
    """text[start:start + width], with "…" where something was left out."""
    piece = text[start : start + width]
    if start > 0:
        piece = "…" + piece
    if start + width < len(text):
        piece = piece + "…"
    return piece
