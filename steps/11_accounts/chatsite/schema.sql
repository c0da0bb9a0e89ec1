-- The site's tables: threads, their posts, the posts' images, and the staff's
-- accounts (step 11).
--
-- db.py runs this file when the app starts and finds the tables missing, and
-- `flask --app steps/11_accounts/chatsite init-db` runs it after deleting
-- everything. "IF NOT EXISTS" makes it harmless to run on a database that
-- already has its tables: nothing is changed, nothing is lost.
--
-- The boards are not here: they come from the BOARDS setting (config.py) and
-- never change while the site runs. A thread names its board by its slug.
--
-- Times are text in ISO 8601, always in UTC, e.g. "2026-11-24T23:41:04.123456+00:00".
-- Text in that form sorts in time order, and Python reads it back with
-- datetime.fromisoformat().

CREATE TABLE IF NOT EXISTS threads (
    -- AUTOINCREMENT: SQLite never hands out an id a second time, not even the
    -- id of a thread that was deleted. A link to /threads/7 can never start
    -- pointing at somebody else's thread.
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    board TEXT NOT NULL,
    title TEXT NOT NULL,
    created_at TEXT NOT NULL,
    bumped_at TEXT NOT NULL,
    -- The "activity" counter of step 04: every new thread and every reply takes
    -- the next number, and a board lists its threads by it, highest first.
    -- A counter and not the clock, because two posts can arrive in the same
    -- instant, and counter numbers never tie. UNIQUE makes the database refuse
    -- a tie, and gives the column an index, so that max(bump_order) is instant.
    bump_order INTEGER NOT NULL UNIQUE,
    reply_count INTEGER NOT NULL DEFAULT 0,
    -- The opening post (if any) and the replies, for "3 posts" on the board page.
    post_count INTEGER NOT NULL DEFAULT 0
);

-- A board page: this board's threads, highest bump_order first. With this
-- index SQLite reads exactly the threads of one page, in order, without
-- looking at the other boards' threads or sorting anything.
CREATE INDEX IF NOT EXISTS threads_by_board ON threads (board, bump_order);

CREATE TABLE IF NOT EXISTS posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- REFERENCES: a post must belong to a thread that exists (db.py turns this
    -- check on with PRAGMA foreign_keys). ON DELETE CASCADE: deleting a thread
    -- deletes its posts too, instead of leaving them behind.
    thread_id INTEGER NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- A thread page: this thread's posts, oldest (lowest id) first.
CREATE INDEX IF NOT EXISTS posts_by_thread ON posts (thread_id, id);

-- At most one image per post, so the post's id is the image's id too.
CREATE TABLE IF NOT EXISTS images (
    post_id INTEGER PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
    -- Where the file is, inside the upload folder: "astronomy/2026/11/<random>.png".
    -- The database keeps the description; the bytes stay in a file.
    path TEXT NOT NULL,
    content_type TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    size INTEGER NOT NULL,
    -- The sender's file name, cleaned (uploads.display_name): the alt text.
    original_name TEXT NOT NULL
);

-- --- Step 11: the staff's accounts ------------------------------------------------

-- The staff: admins and moderators. Visitors have no account; they post anonymously.
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- As typed when the account was made ("Mia"), shown on the pages.
    username TEXT NOT NULL,
    -- Never the password itself: werkzeug.security.generate_password_hash()
    -- turns it into a salted, deliberately slow hash (scrypt). Whoever reads
    -- this table still cannot log in, and cannot easily find the passwords.
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'moderator')),
    created_at TEXT NOT NULL,
    -- 1: the account still exists, but cannot log in, and an open session of it
    -- counts for nothing.
    disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    -- Copied into the session at login; logging out and disabling the account
    -- add 1, and every session that holds an older number (a copied cookie
    -- too) is a visitor's from its next click (accounts.end_sessions).
    session_version INTEGER NOT NULL DEFAULT 0
);

-- "Mia" and "mia" are the same user: the database itself refuses a second
-- account whose name differs only in upper and lower case. (Usernames are
-- ASCII only, and SQLite's lower() knows the ASCII letters.) The same index
-- finds a user at login: WHERE lower(username) = lower(?).
CREATE UNIQUE INDEX IF NOT EXISTS users_by_name ON users (lower(username));
