"""The About page: what this site is (exercise 09.2).

A blueprint of its own, like every other part of the site: create_app()
registers it, and its one view is "about.page" for url_for().
"""

from flask import Blueprint, render_template

bp = Blueprint("about", __name__)


@bp.get("/about")
def page():
    """What Chat Site is, and where its code comes from."""
    return render_template("about.html")
