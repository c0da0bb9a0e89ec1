"""The smallest Flask app, for comparison: what gunicorn and Flask cost on their own.

bench.py serves it with the same gunicorn settings as the Chat Site
(final/gunicorn.conf.py) and asks it for "/" as fast as it can:

    gunicorn -c final/gunicorn.conf.py --chdir final/bench hello:app
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    """A small JSON answer, like the API's, without any database."""
    return {"hello": "world"}
