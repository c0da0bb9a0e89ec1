"""Search: the threads whose title or posts contain every word of ?q=."""

import math

from flask import Blueprint, abort, render_template, request

from .forms import requested_page
from .store import get_store

bp = Blueprint("search", __name__)

# The longest search we accept; the search boxes say so too (maxlength).
MAX_QUERY_LENGTH = 200
# How many search results one page shows; ?page=2 shows the next ones.
RESULTS_PER_PAGE = 50


@bp.get("/search")
def search():
    """Threads whose title or posts contain every word of ?q=, newest activity first,
    50 a page (?page=2 for the next 50)."""
    query = request.args.get("q", "").strip()
    if len(query) > MAX_QUERY_LENGTH:
        message = f"Searches can be at most {MAX_QUERY_LENGTH} characters long."
        return render_template("search.html", query=query[:MAX_QUERY_LENGTH], error=message), 400
    page = requested_page()
    results = find_threads(query) if query else []
    # How many pages: the number of results divided by 50, rounded up (51 results
    # make 2 pages), and at least 1, so that "0 threads found" has its page 1.
    pages = max(1, math.ceil(len(results) / RESULTS_PER_PAGE))
    if page > pages:
        abort(404)
    start = (page - 1) * RESULTS_PER_PAGE
    shown = results[start : start + RESULTS_PER_PAGE]
    return render_template(
        "search.html", query=query, results=shown, total=len(results), page=page, pages=pages
    )


def find_threads(query):
    """Return [(thread, board, excerpt)] for the threads containing every word of the query.

    The database does the searching (Store.search), with the same meaning as
    before: every word, upper and lower case alike, anywhere in the title or
    in a post, the most recently active thread first.
    """
    words = query.lower().split()
    store = get_store()
    results = []
    for thread in store.search(words):
        text = store.first_post_mentioning(thread, words[0])
        results.append((thread, store.find_board(thread["board"]), excerpt(text, words[0])))
    return results


def excerpt(text, word, width=160):
    """About `width` characters of the text around the first place it mentions
    the word, or from its start if it does not."""
    position = text.lower().find(word)
    return cut(text, start=max(0, position - width // 3), width=width)


def cut(text, start, width):
    """text[start:start + width], with "…" where something was left out."""
    piece = text[start : start + width]
    if start > 0:
        piece = "…" + piece
    if start + width < len(text):
        piece = piece + "…"
    return piece
