"""Search: the threads whose title or posts contain every word of ?q=."""

from flask import Blueprint, render_template, request

from .store import get_store

bp = Blueprint("search", __name__)

# The longest search we accept; the search boxes say so too (maxlength).
MAX_QUERY_LENGTH = 200


@bp.get("/search")
def search():
    """Threads whose title or posts contain every word of ?q=, newest activity first."""
    query = request.args.get("q", "").strip()
    if len(query) > MAX_QUERY_LENGTH:
        message = f"Searches can be at most {MAX_QUERY_LENGTH} characters long."
        return render_template("search.html", query=query[:MAX_QUERY_LENGTH], error=message), 400
    results = find_threads(query) if query else []
    return render_template("search.html", query=query, results=results)


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
