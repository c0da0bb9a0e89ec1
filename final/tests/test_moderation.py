"""Moderation in the final app: what Flask-Login, Flask-WTF and Flask-Limiter do
for it, and what the staged suite (tests/test_11_accounts.py to
test_14_flood_control.py, run on SQLite) does not see: the same behaviour on
PostgreSQL, the data layer's counters and search, forged sessions, the limiter's
keys and storage, the 4chan API. (The dashboard: tests/test_23_dashboard.py.)

Accounts made here get a password hash that costs nothing to check (FAST): the
login is the real one, only the hashing is cheap. `flask create-user` itself
hashes with werkzeug's default (scrypt), so its tests make one account each.
"""

import re
import threading

import imagefactory
import pytest
from flask.sessions import SecureCookieSessionInterface
from forum import (
    PASSWORD,
    create_thread,
    csrf_token,
    image_urls_in,
    log_in,
    page,
    post_form,
    post_ids,
    reply,
    stored_files,
    submit,
    thread_ids,
    thread_ids_on_board,
    where,
)
from limits.storage import MemoryStorage
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import OperationalError
from werkzeug.security import generate_password_hash

from chatsite import create_app, flood, flood_store
from chatsite.db import db
from chatsite.logins import local_path
from chatsite.models import LimitEntry, Thread
from chatsite.posting import ThreadLocked
from chatsite.staff import UsernameTaken

FAST = "pbkdf2:sha256:1"  # one round: for tests only, never for real passwords
BOARD = "astronomy"


def add_staff(staff, name, role="moderator"):
    return staff.add_user(name, generate_password_hash(PASSWORD, method=FAST), role)


def logged_in(app, staff, name, role="moderator"):
    """A new browser, logged in as a new account `name`."""
    add_staff(staff, name, role)
    client = app.test_client()
    assert log_in(client, name).status_code == 303
    return client


@pytest.fixture
def moderator(app, staff):
    return logged_in(app, staff, "milo")


@pytest.fixture
def admin(app, staff):
    return logged_in(app, staff, "ann", "admin")


def act(client, action, fields=None):
    """POST to `action` with this browser's CSRF token (from a board page)."""
    return post_form(client, f"/boards/{BOARD}", action, fields or {})


def forge_session(app, client, data):
    """Sign `data` with the app's key (as someone who stole it could) and make it the cookie."""
    value = SecureCookieSessionInterface().get_signing_serializer(app).dumps(data)
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], value)


def search_ids(client, words):
    return thread_ids(page(client.get(f"/search?q={words}")).links_after(r"\b\d+ threads? found\b"))


def logged(moderation):
    """The audit log, oldest first, as (username, action, target, details)."""
    entries, _ = moderation.audit_log()
    return [(e.username, e.action, e.target, e.details) for e in reversed(entries)]


# --- Flask-Login: who is logged in --------------------------------------------------------


@pytest.mark.parametrize(
    "user_id",
    ["abc", "10**30", str(10**30), str(2**31), "0", "-1", "", " 1", "\u0661", ["1"], 1, None, {"id": 1},
     "1", "1:", "1:1", "1:-1", "1:0:0", "1: 0", "1:\u0660", f"1:{10**30}", f"{2**31}:0"],
    ids=["letters", "an expression", "a huge number", "past INTEGER", "zero", "negative", "empty",
         "a space", "an Arabic digit", "a list", "a number", "null", "a dict",
         "no version", "empty version", "another version", "negative version", "two versions",
         "a spaced version", "an Arabic digit version", "a huge version", "past INTEGER with a version"],
)
def test_a_forged_user_id_is_a_visitor_never_a_500(app, client, user_id, staff):
    add_staff(staff, "milo")  # id 1 exists
    forge_session(app, client, {"_user_id": user_id, "_fresh": True})
    response = client.get("/mod/")
    assert (response.status_code, where(response)) == (302, "/login?next=/mod/")
    assert "Staff login" in page(client.get("/")).text()


def test_a_disabled_or_deleted_account_is_a_visitor(app, client, staff):
    milo = add_staff(staff, "milo")
    forge_session(app, client, {"_user_id": f"{milo.id}:0"})
    assert client.get("/mod/").status_code == 200  # a real session of milo's
    staff.set_disabled(milo.id, True, by="ann")
    assert client.get("/mod/").status_code == 302
    staff.set_disabled(milo.id, False, by="ann")
    assert client.get("/mod/").status_code == 302  # enabled again: a new login is needed
    forge_session(app, client, {"_user_id": "999"})
    assert client.get("/mod/").status_code == 302


def test_visitors_are_sent_to_log_in_and_their_forms_refused(client):
    assert where(client.get("/mod/log?page=2")) == "/login?next=/mod/log?page%3D2"
    assert where(client.head("/mod/reports")) == "/login?next=/mod/reports"
    refused = act(client, "/mod/threads/1/lock")
    assert refused.status_code == 403
    assert "staff only" in page(refused).text()


def test_logging_in_starts_a_new_session(app, client, staff):
    """session.clear() first: nothing from before the login survives (a planted value,
    the old CSRF token); then Flask-Login's user id, a new token, a permanent session."""
    add_staff(staff, "milo")
    forge_session(app, client, {"planted": "by someone else", "csrf_token": "0" * 40})
    response = log_in(client, "milo", next="/mod/log")
    assert (response.status_code, where(response)) == (303, "/mod/log")
    client.get("/login")  # a page with a form: a new token
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == "1:0"  # the id and the session version (models.User.get_id)
        assert session.permanent
        assert re.fullmatch(r"[0-9a-f]{40}", session["csrf_token"]) and session["csrf_token"] != "0" * 40


@pytest.mark.parametrize(
    ("next_page", "kept"),
    [("/mod/log", True), ("/threads/1#post-2", True), ("/mod/log?page=2", True), ("", False),
     ("mod/log", False), ("//evil.example", False), ("/\\evil.example", False), ("/mod/\nlog", False),
     ("https://evil.example/", False), ("javascript:alert(1)", False)],
)
def test_only_a_local_path_is_a_place_to_go_back_to(next_page, kept):
    assert (local_path(next_page) == next_page) is kept


def test_the_error_page_still_shows_when_the_database_cannot_say_who_is_logged_in(
    app, moderator, monkeypatch
):
    """The header asks who is logged in (a query): with the database down, the 503
    page shows the header as to a visitor instead of failing again."""

    def database_down(*args, **kwargs):
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr("chatsite.staff.user_for_session", database_down)
    response = moderator.get("/")
    assert response.status_code == 503
    assert "Staff login" in page(response).text()


# --- flask create-user ----------------------------------------------------------------------


def test_create_user_on_the_command_line(app, runner, staff, moderation):
    made = runner.invoke(args=["create-user", "Alice", "--role", "admin"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert (made.exit_code, made.output.strip().splitlines()[-1]) == (0, "Created admin Alice.")
    [alice] = staff.all_users()
    assert (alice.username, alice.role, alice.disabled) == ("Alice", "admin", False)
    assert staff.user_by_name("ALICE").password_hash.startswith("scrypt:")  # werkzeug's default
    assert logged(moderation) == []  # the command line is the site's owner, not a staff member

    taken = runner.invoke(args=["create-user", "alice"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert taken.exit_code == 1
    assert "The username alice is taken." in taken.output
    bad = runner.invoke(args=["create-user", "a b"])  # refused before the password is asked for
    assert bad.exit_code == 1 and "Password" not in bad.output
    assert len(staff.all_users()) == 1


def test_usernames_are_unique_in_any_case(staff):
    add_staff(staff, "Mia")
    with pytest.raises(UsernameTaken):
        add_staff(staff, "mIA")
    assert [user.username for user in staff.all_users()] == ["Mia"]


# --- Flask-WTF: the forms ------------------------------------------------------------------------


def test_a_report_with_hidden_characters_is_refused(client):
    thread_id = create_thread(client)
    [post_id] = post_ids(client, thread_id)
    url = f"/posts/{post_id}/report"
    response = submit(client, url, url, {"reason": "other", "details": "look \u202egnp.exe"})
    assert response.status_code == 400
    assert "Details cannot contain control or text-direction characters." in page(response).text()


def test_the_move_form_offers_the_other_boards_and_needs_one(client, moderator):
    thread_id = create_thread(client)
    shown = page(moderator.get(f"/threads/{thread_id}"))
    move = next(form for form in shown.forms() if form.action.endswith("/move"))
    options = [o.get("value") for o in move.fields["board"].descendants() if o.tag == "option"]
    assert BOARD not in options and len(options) == 14
    refusals = (("", "Choose a board."), (BOARD, "already on Astronomy"), ("x<b>", "no board “x<b>”"))
    for board, says in refusals:
        response = act(moderator, f"/mod/threads/{thread_id}/move", {"board": board})
        assert response.status_code == 400
        assert says in page(response).text()


def test_the_users_page_keeps_what_was_typed_but_never_the_password(admin):
    response = act(admin, "/mod/users", {"username": "newbie", "password": "short", "role": "moderator"})
    assert response.status_code == 400
    form = page(response).form_with("password")
    assert (form.fields["username"].get("value"), form.fields["password"].get("value")) == ("newbie", "")
    assert "Passwords must be 8 to 200 characters long." in page(response).text()
    unknown_role = act(admin, "/mod/users", {"username": "newbie", "password": PASSWORD, "role": "owner"})
    assert "Choose a role: admin or moderator." in page(unknown_role).text()


# --- Flask-Limiter: flood control ------------------------------------------------------------------


def client_at(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_a_reply_too_soon_is_429_and_stores_nothing(app, client, get, upload_folder):
    thread_id = create_thread(client)
    app.config["REPLY_INTERVAL"] = 10  # read on every request
    assert reply(client, thread_id, "first").status_code == 303
    files = stored_files(upload_folder)
    response = reply(client, thread_id, "second", image=("a.png", imagefactory.png()))
    assert response.status_code == 429
    wait = response.headers["Retry-After"]
    assert wait.isdigit() and 1 <= int(wait) <= 10
    assert f"You can post another reply in {wait} seconds." in page(response).text()
    assert (get(Thread, thread_id).post_count, stored_files(upload_folder)) == (2, files)


def test_a_refused_reply_gives_its_count_back(app, client, moderator):
    """Counted before the form is read, given back when nothing was stored: here a
    reply to a locked thread (403), then the same client replies elsewhere at once."""
    locked, other = create_thread(client, title="Locked"), create_thread(client, title="Open")
    assert act(moderator, f"/mod/threads/{locked}/lock").status_code == 303
    app.config["REPLY_INTERVAL"] = 60
    assert act(client, f"/threads/{locked}/replies", {"body": "let me in"}).status_code == 403
    assert reply(client, other, "fine").status_code == 303
    assert reply(client, other, "too soon").status_code == 429


def test_two_replies_sent_at_the_same_moment_cannot_both_pass(app, posting, get):
    """The check and the count are one step (the storage's own lock), not a check
    before the view and a count after it: one reply of eight gets through."""
    thread_id = posting.add_thread(BOARD, "Race", "opening").id
    app.config["REPLY_INTERVAL"] = 60
    clients = [client_at(app, "10.1.2.3") for _ in range(8)]
    tokens = [csrf_token(c.get(f"/threads/{thread_id}").get_data(as_text=True)) for c in clients]
    start = threading.Barrier(len(clients))
    statuses = []

    def send(client, token):
        start.wait()
        data = {"body": "me first", "csrf_token": token}
        statuses.append(client.post(f"/threads/{thread_id}/replies", data=data).status_code)

    threads = [threading.Thread(target=send, args=pair) for pair in zip(clients, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [303] + [429] * 7
    assert get(Thread, thread_id).reply_count == 1


def test_behind_a_proxy_each_visitor_is_counted_by_their_own_address(database_url, upload_folder):
    """PROXIES=1: ProxyFix makes X-Forwarded-For the remote address, so one visitor's
    posts do not hold back another's (without it, all would share the proxy's)."""
    settings = {"DATABASE_URL": database_url, "UPLOAD_FOLDER": str(upload_folder), "SECRET_KEY": "t",
                "PROXIES": 1, "THREAD_INTERVAL": 60}
    app = create_app(settings)
    statuses = []
    for address in ("203.0.113.1", "203.0.113.2", "203.0.113.1"):
        client = app.test_client()
        client.environ_base["HTTP_X_FORWARDED_FOR"] = address
        fields = {"title": f"From {address}"}
        statuses.append(post_form(client, f"/boards/{BOARD}", f"/boards/{BOARD}/threads", fields).status_code)
    assert statuses == [303, 303, 429]


def test_failed_logins_are_limited_per_client_and_per_name(app, staff):
    add_staff(staff, "milo")
    app.config["LOGIN_ATTEMPTS_PER_MINUTE"] = 2
    guesser = client_at(app, "10.0.0.1")
    statuses = [log_in(guesser, "MILO", "guess").status_code for _ in range(3)]
    # The name is locked wherever the next try comes from, whatever its case...
    statuses.append(log_in(client_at(app, "10.0.0.2"), "milo").status_code)
    # ...and the guesser for any name. Empty fields are not a try: they do not count.
    statuses.append(log_in(guesser, "someone", "else").status_code)
    statuses += [log_in(client_at(app, "10.0.0.3"), "", "").status_code for _ in range(3)]
    assert statuses == [400, 400, 429, 429, 429, 400, 400, 400]
    response = log_in(client_at(app, "10.0.0.4"), "milo")
    assert response.status_code == 429
    assert f"Please wait {response.headers['Retry-After']} seconds" in page(response).text()


class SharedStorage(MemoryStorage):
    """A storage of our own, named by a scheme of its own (limits registers it by
    STORAGE_SCHEME): it proves that RATELIMIT_STORAGE_URI is the one used."""

    STORAGE_SCHEME = ["test-shared"]


def test_the_counts_are_kept_where_ratelimit_storage_uri_says(database_url, upload_folder, monkeypatch):
    monkeypatch.setenv("CHATSITE_RATELIMIT_STORAGE_URI", "test-shared://")
    settings = {"DATABASE_URL": database_url, "UPLOAD_FOLDER": str(upload_folder), "SECRET_KEY": "t"}
    app = create_app(settings)
    assert app.config["RATELIMIT_STORAGE_URI"] == "test-shared://"
    assert isinstance(flood.limiter.storage, SharedStorage)
    client = app.test_client()
    create_thread(client)
    assert any("boards.create_thread" in key for key in flood.limiter.storage.events)
    create_app({**settings, "RATELIMIT_STORAGE_URI": "memory://"})
    assert type(flood.limiter.storage) is MemoryStorage


# --- the data layer: counters, search, files ---------------------------------------------------------


def test_deleting_posts_keeps_the_counters_right(client, moderator, get, moderation):
    thread_id = create_thread(client, body="Opening")
    for body in ("one", "two"):
        reply(client, thread_id, body)
    opening, one, two = post_ids(client, thread_id)

    def counts():
        thread = get(Thread, thread_id)
        return thread.post_count, thread.reply_count

    assert counts() == (3, 2)
    act(moderator, f"/mod/posts/{one}/delete")
    assert counts() == (2, 1)
    act(moderator, f"/mod/posts/{opening}/delete")  # the opening post: no reply less
    assert counts() == (1, 1)
    # The first post left is a reply: deleting it is one reply less, not a second opening post.
    act(moderator, f"/mod/posts/{two}/delete")
    assert counts() == (0, 0)
    assert [entry[1:3] for entry in logged(moderation)] == [
        ("delete post", f"post {one} in thread {thread_id}"),
        ("delete post", f"post {opening} in thread {thread_id}"),
        ("delete post", f"post {two} in thread {thread_id}"),
    ]


def test_a_thread_without_its_opening_post_reads_as_title_only_in_the_4chan_api(client, moderator):
    thread_id = create_thread(client, title="Orphaned", body="Opening")
    reply(client, thread_id, "a reply")
    opening, answer = post_ids(client, thread_id)
    act(moderator, f"/mod/posts/{opening}/delete")
    [listed] = client.get(f"/{BOARD}/threads.json").get_json()[0]["threads"]
    assert listed["no"] == 2**31 + thread_id and listed["replies"] == 1
    posts = client.get(f"/{BOARD}/thread/{listed['no']}.json").get_json()["posts"]
    assert [(post["no"], post.get("sub")) for post in posts] == [(listed["no"], "Orphaned"), (answer, None)]


def test_deleted_posts_and_threads_leave_search_and_moved_ones_stay(client, moderator):
    thread_id = create_thread(client, title="Quasar hunting", body="Opening")
    reply(client, thread_id, "a blazar tonight")
    _, blazar = post_ids(client, thread_id)
    other = create_thread(client, title="Other", body="more quasar talk")
    assert (search_ids(client, "blazar"), search_ids(client, "quasar")) == ([thread_id], [other, thread_id])

    act(moderator, f"/mod/posts/{blazar}/delete")
    assert search_ids(client, "blazar") == []
    act(moderator, f"/mod/threads/{other}/move", {"board": "chess"})
    assert search_ids(client, "quasar") == [other, thread_id]
    assert "Chess" in page(client.get("/search?q=talk")).text()
    act(moderator, f"/mod/threads/{thread_id}/delete")
    assert (search_ids(client, "quasar"), search_ids(client, "hunting")) == ([other], [])


def test_deleting_a_thread_deletes_every_file_and_report(client, moderator, moderation, upload_folder):
    thread_id = create_thread(client, title="Pictures", image=("a.png", imagefactory.png(4, 3)))
    reply(client, thread_id, "another", image=("b.png", imagefactory.png(5, 3)))
    kept = create_thread(client, title="Kept", image=("c.png", imagefactory.png(6, 3)))
    for post_id in post_ids(client, thread_id) + post_ids(client, kept):
        url = f"/posts/{post_id}/report"
        assert submit(client, url, url, {"reason": "spam"}).status_code == 303
    images = image_urls_in(client.get(f"/threads/{thread_id}"))

    assert act(moderator, f"/mod/threads/{thread_id}/delete").status_code == 303
    assert [client.get(url).status_code for url in images] == [404, 404]  # the thumbnails
    assert len(stored_files(upload_folder)) == 2  # Kept's image and its thumbnail, nothing else
    reports, total = moderation.open_reports()
    assert total == 1 and reports[0].post.thread_id == kept
    assert logged(moderation) == [("milo", "delete thread", f"thread {thread_id}", "Pictures")]


def test_a_reply_to_a_thread_locked_while_it_was_typed_is_refused(posting, moderation, get):
    """The view checks the lock before it reads the upload; add_reply checks it again
    in its transaction, for a lock that came in between."""
    thread = posting.add_thread(BOARD, "T", "opening")
    moderation.lock_thread(thread.id, True, "milo")
    with pytest.raises(ThreadLocked):
        posting.add_reply(thread.id, "too late")
    assert get(Thread, thread.id).reply_count == 0


def test_a_full_board_prunes_pinned_threads_last(app, client, moderator, get):
    app.config["BOARD_THREAD_LIMIT"] = 2
    rules = create_thread(client, title="Rules")  # the oldest
    act(moderator, f"/mod/threads/{rules}/pin")
    second = create_thread(client, title="Second")
    third = create_thread(client, title="Third")
    assert thread_ids_on_board(client) == [rules, third]
    assert get(Thread, second) is None


def test_the_board_page_reads_its_index_in_order(app, posting, database_url):
    """Pinned first, then the most recently active: the index (board, pinned,
    bump_order) read backwards gives that order, with no sort of the board's threads."""
    for number in range(3):
        posting.add_thread(BOARD, f"T{number}", "")
    query = (
        "SELECT id FROM threads WHERE board = 'astronomy' "
        "ORDER BY pinned DESC, bump_order DESC LIMIT 50"
    )
    with app.app_context():
        if database_url.startswith("sqlite"):
            plan = " ".join(row[-1] for row in db.session.execute(text("EXPLAIN QUERY PLAN " + query)))
            assert "ix_threads_board_pinned_bump_order" in plan and "TEMP B-TREE" not in plan
        else:
            db.session.execute(text("SET enable_seqscan = off"))
            plan = " ".join(row[0] for row in db.session.execute(text("EXPLAIN " + query)))
            assert "Index Scan Backward using ix_threads_board_pinned_bump_order" in plan
            assert "Sort" not in plan


# --- the 4chan API ----------------------------------------------------------------------------------


def test_pinned_threads_are_sticky_and_locked_ones_closed_in_the_4chan_api(client, moderator):
    pinned = create_thread(client, title="Rules", body="Read me")
    locked = create_thread(client, title="Over", body="Done")
    plain = create_thread(client, title="Plain", body="Hi")
    act(moderator, f"/mod/threads/{pinned}/pin")
    act(moderator, f"/mod/threads/{locked}/lock")

    [catalog] = client.get(f"/{BOARD}/catalog.json").get_json()
    flags = {entry["sub"]: (entry["sticky"], entry["closed"]) for entry in catalog["threads"]}
    assert list(flags) == ["Rules", "Plain", "Over"]  # the sticky first, as on 4chan
    assert flags == {"Rules": (1, 0), "Plain": (0, 0), "Over": (0, 1)}
    [locked_no] = post_ids(client, locked)
    [opening] = client.get(f"/{BOARD}/thread/{locked_no}.json").get_json()["posts"]
    assert (opening["sticky"], opening["closed"]) == (0, 1)
    assert "archived" not in opening  # locked is not archived: it may be unlocked
    assert client.get(f"/{BOARD}/archive.json").get_json() == []
    assert plain in thread_ids_on_board(client)


# --- the moderators' pages ---------------------------------------------------------------------------


def test_long_lists_of_reports_and_log_entries_come_in_pages(client, moderator, moderation):
    thread_id = create_thread(client)
    [post_id] = post_ids(client, thread_id)
    for _ in range(51):
        moderation.add_report(post_id, "spam", "")
    first = page(moderator.get("/mod/reports"))
    assert "51 open reports" in first.text() and "Page 1 of 2" in first.text()
    assert moderator.get("/mod/reports?page=2").status_code == 200
    assert moderator.get("/mod/reports?page=3").status_code == 404
    assert moderator.get("/mod/log?page=2").status_code == 404
    assert "Nothing yet" in page(moderator.get("/mod/log")).text()


def test_changing_nothing_logs_nothing(client, admin, moderation, staff):
    thread_id = create_thread(client)
    milo = add_staff(staff, "milo")
    for action, fields in ((f"/mod/threads/{thread_id}/unlock", {}), (f"/mod/threads/{thread_id}/unpin", {}),
                           (f"/mod/users/{milo.id}/role", {"role": "moderator"}),
                           (f"/mod/users/{milo.id}/enable", {})):
        assert act(admin, action, fields).status_code == 303
    assert logged(moderation) == []
    assert act(admin, f"/mod/users/{milo.id}/role", {"role": "admin"}).status_code == 303
    assert logged(moderation) == [("ann", "change role", "user milo", "moderator → admin")]


# --- the pages, on both databases ----------------------------------------------------------------


def test_admins_manage_accounts(app, admin, staff, moderation):
    created = act(admin, "/mod/users", {"username": "Zoe", "password": PASSWORD, "role": "moderator"})
    assert created.status_code == 303
    zoe = staff.user_by_name("zoe")
    taken = act(admin, "/mod/users", {"username": "ZOE", "password": PASSWORD, "role": "admin"})
    assert (taken.status_code, "The username ZOE is taken." in page(taken).text()) == (400, True)
    zoe_browser = app.test_client()
    assert log_in(zoe_browser, "zoe").status_code == 303
    assert zoe_browser.get("/mod/users").status_code == 403
    assert "admins only" in page(zoe_browser.get("/mod/users")).text()

    ann = staff.user_by_name("ann").id
    statuses = {
        "promote": act(admin, f"/mod/users/{zoe.id}/role", {"role": "admin"}).status_code,
        "unknown role": act(admin, f"/mod/users/{zoe.id}/role", {"role": "owner"}).status_code,
        "demote myself": act(admin, f"/mod/users/{ann}/role", {"role": "moderator"}).status_code,
        "disable myself": act(admin, f"/mod/users/{ann}/disable").status_code,
        "disable": act(admin, f"/mod/users/{zoe.id}/disable").status_code,
        "enable": act(admin, f"/mod/users/{zoe.id}/enable").status_code,
        "unknown user": act(admin, "/mod/users/999/enable").status_code,
    }
    assert statuses == {"promote": 303, "unknown role": 400, "demote myself": 400, "disable myself": 400,
                        "disable": 303, "enable": 303, "unknown user": 404}
    assert [entry[1:] for entry in logged(moderation)] == [
        ("create user", "user Zoe", "role moderator"),
        ("change role", "user Zoe", "moderator → admin"),
        ("disable user", "user Zoe", ""),
        ("enable user", "user Zoe", ""),
    ]
    # Disabling ended zoe's session for good: enabled again, zoe logs in afresh, as an admin.
    assert where(zoe_browser.get("/mod/users")) == "/login?next=/mod/users"
    assert log_in(zoe_browser, "zoe").status_code == 303
    assert zoe_browser.get("/mod/users").status_code == 200


def test_logging_in_with_an_unknown_name_and_logging_out(app, staff):
    add_staff(staff, "milo")
    client = app.test_client()
    refused = log_in(client, "nobody")
    assert (refused.status_code, "Wrong username or password." in page(refused).text()) == (400, True)
    assert log_in(client, "milo").status_code == 303
    assert client.get("/mod/").status_code == 200
    out = submit(client, "/mod/", "/logout")
    assert (out.status_code, where(out)) == (303, "/")
    assert client.get("/mod/").status_code == 302


def test_actions_on_things_that_are_not_there_are_404(client, moderator):
    thread_id = create_thread(client)
    statuses = [act(moderator, url).status_code for url in (
        "/mod/reports/999/dismiss", "/mod/posts/999/delete", "/mod/threads/999/delete",
        "/mod/threads/999/lock", "/mod/threads/999/pin", "/mod/threads/999/move",
    )]
    assert statuses == [404] * 6
    assert client.get("/posts/999/report").status_code == 404
    [post_id] = post_ids(client, thread_id)
    url = f"/posts/{post_id}/report"
    submit(client, url, url, {"reason": "spam"})
    [report] = [a for a in (f.action for f in page(moderator.get("/mod/reports")).forms()) if "dismiss" in a]
    assert [act(moderator, report).status_code for _ in range(2)] == [303, 404]


def test_a_post_deleted_while_its_report_was_typed(app, client, monkeypatch):
    thread_id = create_thread(client)
    [post_id] = post_ids(client, thread_id)
    url = f"/posts/{post_id}/report"
    form_page = client.get(url)  # the form is open...
    # ...and the post goes meanwhile:
    monkeypatch.setattr("chatsite.moderation.add_report", lambda *args: None)
    token = csrf_token(form_page.get_data(as_text=True))
    assert client.post(url, data={"reason": "spam", "csrf_token": token}).status_code == 404


class UnreachableStorage(MemoryStorage):
    """A shared store that has stopped answering (Redis down, say)."""

    STORAGE_SCHEME = ["test-unreachable"]

    def acquire_entry(self, *args, **kwargs):
        raise ConnectionError("the store is down")

    def check(self):
        return False


def test_when_the_shared_store_is_down_each_worker_counts_alone(database_url, upload_folder, monkeypatch):
    # The extension outlives this app and remembers that its store died: monkeypatch
    # puts its "alive" back afterwards, for the apps of the next tests.
    monkeypatch.setattr(flood.limiter, "_storage_dead", False)
    settings = {"DATABASE_URL": database_url, "UPLOAD_FOLDER": str(upload_folder), "SECRET_KEY": "t",
                "RATELIMIT_STORAGE_URI": "test-unreachable://", "THREAD_INTERVAL": 60}
    client = create_app(settings).test_client()
    statuses = [
        post_form(client, f"/boards/{BOARD}", f"/boards/{BOARD}/threads", {"title": title}).status_code
        for title in ("First", "Second")
    ]
    assert statuses == [303, 429]  # counted in memory: no 500, and still limited


def test_the_counts_are_kept_in_the_database_every_worker_shares(app, database_url, upload_folder):
    """The default store is the database: a second app on it (another worker
    process, or the same one restarted) sees the first one's counts."""
    assert isinstance(flood.limiter.storage, flood_store.DatabaseStorage)
    app.config["THREAD_INTERVAL"] = 60
    create_thread(app.test_client(), title="First")
    settings = {"DATABASE_URL": database_url, "UPLOAD_FOLDER": str(upload_folder), "SECRET_KEY": "test",
                "THREAD_INTERVAL": 60}
    other_worker = create_app(settings).test_client()
    response = post_form(other_worker, f"/boards/{BOARD}", f"/boards/{BOARD}/threads", {"title": "Second"})
    assert response.status_code == 429
    assert "You can start another thread in" in page(response).text()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LimitEntry)) == 1


def test_any_username_is_a_key_the_database_can_keep(app, client):
    """NUL (PostgreSQL's text cannot hold it) or a long name: a 400, never a 500."""
    app.config["LOGIN_ATTEMPTS_PER_MINUTE"] = 2
    statuses = [log_in(client_at(app, f"10.0.0.{n}"), name, "guess").status_code
                for n, name in enumerate(["mi\x00lo", "m" * 10_000, "\u00e9" * 300])]
    assert statuses == [400, 400, 400]
    assert log_in(client_at(app, "10.0.0.9"), "mi\x00lo", "guess").status_code == 400
    assert log_in(client_at(app, "10.0.0.10"), "mi\x00lo", "guess").status_code == 429


def test_when_the_database_cannot_count_a_post_is_503_not_counted_in_memory(app, client):
    """Fail closed: the post could not have been stored either, and counting in each
    worker's memory would undo the limits for whoever can slow the database down."""
    app.config["THREAD_INTERVAL"] = 60
    app.extensions[flood_store.ENGINE] = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = post_form(client, f"/boards/{BOARD}", f"/boards/{BOARD}/threads", {"title": "Lost"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert thread_ids_on_board(client) == []
    assert not flood.limiter._storage_dead  # no fallback to each worker's memory


def test_reports_sent_at_the_same_moment_store_one(app, client, moderation):
    """Six reports of one post from one address at once: the post's lock makes them
    take turns (PostgreSQL runs writers side by side), so one is stored."""
    thread_id = create_thread(client)
    [post_id] = post_ids(client, thread_id)
    url = f"/posts/{post_id}/report"
    clients = [client_at(app, "10.1.2.3") for _ in range(6)]
    tokens = [csrf_token(c.get(url).get_data(as_text=True)) for c in clients]
    statuses = at_once([
        lambda c=c, token=token: c.post(url, data={"reason": "spam", "csrf_token": token}).status_code
        for c, token in zip(clients, tokens, strict=True)
    ])
    assert sorted(statuses) == [303] + [409] * 5
    assert moderation.open_report_count() == 1


def test_a_report_too_soon_is_429_and_a_refused_one_gives_its_count_back(app, client, moderation):
    thread_id = create_thread(client)
    reply(client, thread_id, "spam")
    first, second = post_ids(client, thread_id)
    app.config["REPORT_INTERVAL"] = 60
    visitor = client_at(app, "10.0.0.5")
    statuses = [act(visitor, f"/posts/{first}/report", {"reason": "nonsense"}).status_code]  # not counted
    for post in (first, second):
        statuses.append(act(visitor, f"/posts/{post}/report", {"reason": "spam"}).status_code)
    assert statuses == [400, 303, 429]
    assert moderation.open_report_count() == 1


def test_moderation_changes_nothing_that_is_not_there(posting, moderation, staff):
    thread = posting.add_thread(BOARD, "Here", "opening")
    assert moderation.move_thread(999, "chess", "milo") is None
    with pytest.raises(KeyError):
        moderation.move_thread(thread.id, "nowhere", "milo")
    assert moderation.move_thread(thread.id, BOARD, "milo").board == BOARD  # already there
    assert moderation.add_report(999, "spam", "") is None
    assert staff.set_role(999, "admin", "ann") is None
    assert staff.set_disabled(999, True, "ann") is None
    assert moderation.dismiss_report(999, "milo") is False
    assert logged(moderation) == []


def at_once(calls):
    """Run each function in `calls` in a thread of its own, all starting together; their results."""
    start = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(number, call):
        start.wait()
        results[number] = call()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_moderators_deleting_one_post_at_once_count_it_once(posting, moderation, get):
    thread = posting.add_thread(BOARD, "Busy", "opening")
    replies = [posting.add_reply(thread.id, f"reply {n}").id for n in range(2)]
    post_id = replies[0]
    results = at_once(
        [lambda: moderation.delete_post(post_id, "milo"), lambda: moderation.delete_post(post_id, "ann")]
    )
    assert sorted(result is None for result in results) == [False, True]
    counts = get(Thread, thread.id)
    assert (counts.post_count, counts.reply_count) == (2, 1)
    assert [entry[1] for entry in logged(moderation)] == ["delete post"]


def test_two_admins_making_one_name_at_once_make_one_account(staff):
    password_hash = generate_password_hash(PASSWORD, method=FAST)

    def make(name):
        try:
            return staff.add_user(name, password_hash, "moderator")
        except UsernameTaken:
            return None

    results = at_once([lambda: make("Zoe"), lambda: make("zoe")])
    assert sorted(result is None for result in results) == [False, True]
    assert len(staff.all_users()) == 1
