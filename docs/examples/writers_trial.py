"""BEGIN or BEGIN IMMEDIATE? Eight processes write to one SQLite file at once.

Run it from the top folder:  python docs/examples/writers_trial.py

Each process makes 200 transactions that read first and then write, the way
"find the highest bump_order, then insert one more" would. It counts the
transactions that failed with "database is locked", for a plain (deferred)
BEGIN and for BEGIN IMMEDIATE. The numbers differ from one computer and one
run to the next; the difference between the two lines does not.
"""

import multiprocessing
import sqlite3
import tempfile
from pathlib import Path

PROCESSES = 8
TRANSACTIONS = 200


def writer(job):
    path, begin = job
    db = sqlite3.connect(path, timeout=15, isolation_level=None)
    failed = 0
    for _ in range(TRANSACTIONS):
        try:
            db.execute(begin)
            highest = db.execute("SELECT coalesce(max(number), 0) FROM counter").fetchone()[0]
            db.execute("INSERT INTO counter (number) VALUES (?)", (highest + 1,))
            db.execute("COMMIT")
        except sqlite3.OperationalError:  # "database is locked"
            failed += 1
            if db.in_transaction:
                db.execute("ROLLBACK")
    db.close()
    return failed


def trial(folder, begin):
    path = str(Path(folder) / (begin.replace(" ", "_") + ".sqlite3"))
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, number INTEGER)")
    db.close()
    with multiprocessing.Pool(PROCESSES) as pool:
        failed = sum(pool.map(writer, [(path, begin)] * PROCESSES))
    print(f"{begin + ':':<17} {failed:>5} of {PROCESSES * TRANSACTIONS} transactions failed")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        trial(folder, "BEGIN")
        trial(folder, "BEGIN IMMEDIATE")
