"""SQL injection in a few lines: why store.py never puts typed text into SQL.

Run it from the top folder:  python docs/examples/injection.py

It makes a throwaway database in memory, with one thread everybody may see
and one that is hidden, then looks a thread up by the title someone typed:
first the WRONG way, pasting the text into the SQL with an f-string, then the
right way, with a ? parameter.
"""

import sqlite3

db = sqlite3.connect(":memory:")
db.execute("CREATE TABLE threads (id INTEGER PRIMARY KEY, title TEXT, hidden INTEGER)")
db.executemany("INSERT INTO threads (title, hidden) VALUES (?, ?)", [("Public", 0), ("Secret", 1)])

typed = "nothing' OR 1=1 --"  # what someone typed into a form

# WRONG: the typed text becomes part of the SQL. Its ' ends the quoted title
# early, OR 1=1 is true for every row, and -- makes the rest a comment.
wrong = f"SELECT title FROM threads WHERE hidden = 0 AND title = '{typed}'"  # noqa: S608 (the bad example)
print(wrong)
print("f-string: ", db.execute(wrong).fetchall())

# RIGHT: the SQL says ?, and the typed text travels separately. SQLite compares
# it, all of it, with each title; it is never read as SQL.
right = "SELECT title FROM threads WHERE hidden = 0 AND title = ?"
print(right)
print("parameter:", db.execute(right, (typed,)).fetchall())
