"""Search finds the same threads on SQLite (FTS5) and on PostgreSQL (tsvector + GIN).

The two databases index text with different machinery; the migration sets both
up to split words the same way (letters and digits, lower-cased, no stemming,
accents kept). This test stores the same threads in both and asks both the same
questions: the answers must be identical, and what we expect.
"""

import pytest
from databases import dispose, fresh_postgres_url, fresh_sqlite_url

from chatsite import create_app, posting, text_search

THREADS = [
    ("astronomy", "Saturn rings", ["Seen through a TELESCOPE last night", "Lovely! Which eyepiece?"]),
    ("astronomy", "ÉTOILE filante", ["Une étoile filante au-dessus du lac"]),
    ("baking", "Café crème cake", ["Coffee, cream and 3 eggs", "north-east winds cooled it"]),
    ("chess", "Sicilian defence", ["The Sicilian is sharp; e4 c5", "Najdorf or Dragon?"]),
    ("python", "Telescope control in Python", ["pip install astropy", "Use asyncio for the mount"]),
    ("python", "Unicode words", ["naïve café résumé", "Ünïcode works: Straße"]),
    ("running", "Title only", []),
]

# query -> the titles found, most recently active first
EXPECTED = {
    "telescope": ["Telescope control in Python", "Saturn rings"],
    "TELE": ["Telescope control in Python", "Saturn rings"],
    "étoile": ["ÉTOILE filante"],
    "ÉTOILE": ["ÉTOILE filante"],
    "etoile": [],
    "café": ["Unicode words", "Café crème cake"],
    "cafe": [],
    "sicilian sharp": ["Sicilian defence"],
    "sicilian python": [],
    "north": ["Café crème cake"],
    "east": ["Café crème cake"],
    "3 eggs": ["Café crème cake"],
    "c5": ["Sicilian defence"],
    "straße": ["Unicode words"],
    "title only": ["Title only"],
    "eyepiece saturn": ["Saturn rings"],
    "zebra": [],
    "'; DROP TABLE threads; --": [],
    '"quoted" OR NEAR(*)': [],
}


@pytest.fixture
def apps(tmp_path, postgres_server):
    """The same threads, in an SQLite app and a PostgreSQL app."""
    made = []
    for database_url in (fresh_sqlite_url(tmp_path), fresh_postgres_url(postgres_server)):
        app = create_app({"DATABASE_URL": database_url, "TESTING": True})
        with app.app_context():
            for board, title, posts in THREADS:
                thread = posting.add_thread(board, title, posts[0] if posts else "")
                for body in posts[1:]:
                    posting.add_reply(thread.id, body)
        made.append(app)
    yield made
    for app in made:
        dispose(app)


def titles_found(app, query):
    with app.app_context():
        results, total = text_search.search(query)
    assert total == len(results)
    return [result.thread.title for result in results]


def test_sqlite_and_postgresql_find_the_same_threads(apps):
    sqlite_app, postgresql_app = apps
    found = {query: titles_found(sqlite_app, query) for query in EXPECTED}
    assert found == EXPECTED
    assert {query: titles_found(postgresql_app, query) for query in EXPECTED} == found
