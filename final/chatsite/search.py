"""Search: the threads whose title or posts contain every word of ?q=."""

from flask import Blueprint, render_template, request

from chatsite.store import get_store

bp = Blueprint("search", __name__)

# The longest search we accept; the search boxes say so too (maxlength).
MAX_QUERY_LENGTH = 200


@bp.get("/search")
def search():
    """Threads containing every word of ?q=, the most recently active first."""
    query = request.args.get("q", "").strip()
    if len(query) > MAX_QUERY_LENGTH:
        message = f"Searches can be at most {MAX_QUERY_LENGTH} characters long."
        return render_template("search.html", query=query[:MAX_QUERY_LENGTH], error=message), 400
    results = get_store().search(query)
    return render_template("search.html", query=query, results=results)
