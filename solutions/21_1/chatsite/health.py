"""/healthz: the address a load balancer asks, every few seconds, whether this
worker (this machine) can serve.

200 "ok" while the database answers; 503 while it does not, so the balancer
sends visitors to the other machines until it answers again. Before `flask db
upgrade` the page is a 503 too: db.require_upgraded_database answers for it,
as for every page.

hosts.py lets it through whatever the Host header says: a load balancer asks
by the machine's own address (Host: 10.0.0.7:5000), which is no name of the
site. That is safe here: the answer writes no address, so a forged Host has
nowhere to go.
"""

from flask import Blueprint, current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .db import db

bp = Blueprint("health", __name__)

# The path hosts.py lets through for any host name.
PATH = "/healthz"
# Never kept by a cache on the way: each answer must be about now.
HEADERS = {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


@bp.get(PATH)
def healthz():
    """200 "ok" if the database answers a query now, 503 if it does not."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        # Any database error, not only those the error pages call 503: to a load
        # balancer, anything but a 2xx means "not this one", and 503 says "for now".
        current_app.logger.warning("Health check: the database does not answer: %s", error)
        return "database unavailable\n", 503, HEADERS
    return "ok\n", 200, HEADERS
