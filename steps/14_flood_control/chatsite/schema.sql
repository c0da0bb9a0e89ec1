-- The site's tables: threads, their posts, the posts' images, the staff's
-- accounts (step 11), readers' reports and the moderators' log (step 13), and
-- (new in step 14) the marks that flood control counts.
--
-- db.py runs this file when the app starts and finds the tables missing, and
-- `flask --app steps/14_flood_control/chatsite init-db` runs it after deleting
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
    post_count INTEGER NOT NULL DEFAULT 0,
    -- Step 13: set by moderators. SQLite has no true/false type: 0 is "no", 1 is
    -- "yes". CHECK makes the database refuse any other number.
    -- A locked thread takes no more replies.
    locked INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
    -- A pinned thread stays at the top of its board, above the busier ones.
    pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1))
);

-- A board page: this board's threads, the pinned ones first, then the highest
-- bump_order first. The index holds them in exactly that order, so SQLite reads
-- the threads of one page without looking at the other boards' threads or
-- sorting anything.
CREATE INDEX IF NOT EXISTS threads_by_board ON threads (board, pinned, bump_order);

CREATE TABLE IF NOT EXISTS posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- REFERENCES: a post must belong to a thread that exists (db.py turns this
    -- check on with PRAGMA foreign_keys). ON DELETE CASCADE: deleting a thread
    -- deletes its posts too, instead of leaving them behind.
    thread_id INTEGER NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    -- Step 13: 1 for the post that was stored together with its thread (the
    -- "opening post"), 0 for a reply. Deleting a post must lower the right
    -- counts, and the thread's first post is not always its opening post: a
    -- thread can start with a title only (store.add_thread), and then its first
    -- post is a reply. So the post says what it is, from the moment it is stored.
    is_opening INTEGER NOT NULL DEFAULT 0 CHECK (is_opening IN (0, 1))
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
    -- 1: the account still exists (its name stays in the log), but cannot log in,
    -- and an open session of it counts for nothing.
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

-- --- Step 13: readers' reports and the moderators' log ----------------------------

-- "This post breaks the rules": anyone may report a post, with no account.
CREATE TABLE IF NOT EXISTS reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- ON DELETE CASCADE: when a moderator deletes the post (or its whole
    -- thread), its reports go with it. There is nothing left to look at.
    post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    reason TEXT NOT NULL CHECK (reason IN ('spam', 'off-topic', 'illegal', 'other')),
    details TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    -- NULL while the report is open; the time a moderator dismissed it.
    dismissed_at TEXT,
    -- Who sent it: the client's IP address, as flood control counts it
    -- (flood.py). One client cannot report the same post again while its
    -- report is open.
    client TEXT NOT NULL
);

-- The moderators' page lists the open reports, newest first; deleting a post
-- looks for its reports.
CREATE INDEX IF NOT EXISTS reports_by_post ON reports (post_id);
CREATE INDEX IF NOT EXISTS open_reports ON reports (dismissed_at, id);

-- Who did what, and when: one row for each change a moderator or admin makes,
-- stored in the same transaction as the change itself.
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    -- The name as text, not a user id: the log outlives what it describes, and
    -- must still say who did it if that account is renamed or gone.
    username TEXT NOT NULL,
    action TEXT NOT NULL,   -- "delete post", "lock thread", ... (moderation.py)
    target TEXT NOT NULL,   -- "post 12 in thread 3", "thread 3", "user mia"
    details TEXT NOT NULL DEFAULT ''
);

-- --- Step 14: flood control -------------------------------------------------------

-- Flood control (flood.py): one row for each new thread, each reply, each
-- report and each failed login, with who sent it (the client's IP address) and
-- when. Only the last hour is kept: older rows are deleted as new ones arrive.
CREATE TABLE IF NOT EXISTS flood_marks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('thread', 'reply', 'report', 'login-failed')),
    -- For failed logins: the name that was tried, in lower case (else NULL).
    username TEXT,
    at TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS flood_marks_by_client ON flood_marks (client, action, at);
CREATE INDEX IF NOT EXISTS flood_marks_by_username ON flood_marks (username, action, at);
CREATE INDEX IF NOT EXISTS flood_marks_by_time ON flood_marks (at);
