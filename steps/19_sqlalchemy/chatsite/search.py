"""Search: the threads whose title or posts contain every word of ?q=."""

from flask import Blueprint, render_template, request

from . import text_search
from .params import last_page_or_404, requested_page
from .text_checks import clean_text
from .text_search import RESULTS_PER_PAGE

bp = Blueprint("search", __name__)

# The longest search we accept; the search boxes say so too (maxlength).
MAX_QUERY_LENGTH = 200


@bp.get("/search")
def search():
    """Threads containing every word of ?q=, the most recently active first, a page at a time."""
    # The same clean-up as posts get (NFC): "e" + a combining accent finds "é".
    query = clean_text(request.args.get("q", ""))
    if len(query) > MAX_QUERY_LENGTH:
        message = f"Searches can be at most {MAX_QUERY_LENGTH} characters long."
        return render_template("search.html", query=query[:MAX_QUERY_LENGTH], error=message), 400
    page = requested_page()
    results, total = text_search.search(query, page)
    pages = last_page_or_404(page, RESULTS_PER_PAGE, total)
    return render_template("search.html", query=query, results=results, total=total, page=page, pages=pages)
