"""Exercise 10.5: what a busy database does, written down as a test.

While another connection holds the write lock, a reply waits DATABASE_TIMEOUT
seconds, then gets 503; reading a thread does not wait at all (WAL); once the
lock is let go, the reply works. The check runs this test for you
(make exercise STEP=10 N=5); to run it yourself, from this folder:
python -m pytest test_busy.py
"""

import sqlite3

from chatsite import create_app


def test_a_busy_database_answers_503_and_reading_still_works(tmp_path):
    database = tmp_path / "chatsite.sqlite3"
    # DATABASE_TIMEOUT: how long a post waits for the write lock before the 503.
    app = create_app({"DATABASE": str(database), "DATABASE_TIMEOUT": 0.2, "UPLOAD_FOLDER": str(tmp_path)})
    client = app.test_client()
    started = client.post("/boards/astronomy/threads", data={"title": "Busy?", "body": "Let's see."})
    assert started.status_code == 303
    thread = started.headers["Location"]

    # The second terminal of the exercise: another connection takes the write lock.
    other = sqlite3.connect(database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        assert client.post(f"{thread}/replies", data={"body": "Anyone?"}).status_code == 503
        assert client.get(thread).status_code == 200
    finally:
        other.execute("ROLLBACK")
        other.close()

    assert client.post(f"{thread}/replies", data={"body": "Anyone?"}).status_code == 303
