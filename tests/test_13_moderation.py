"""Step 13: moderation. Readers' reports, the moderators' tools and the audit log.

What a user notices: anyone can report a post; moderators see the open
reports and delete, lock, pin or move what breaks the rules, from the queue or
from the thread page; every change the staff make (the admins' changes to
accounts too) is written in an audit log, with who made it.

The shared browsers (``moderator``, ``admin``) and helpers are in staff.py.
"""

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import imagefactory
import pytest
import staff
from forum import (
    BOARD,
    PASSWORD,
    create_thread,
    csrf_token,
    every_post,
    field_labels,
    image_urls_in,
    login_redirect_next,
    page,
    post_form,
    post_ids,
    reply,
    staff_client,
    stored_files,
    submit,
    thread_ids,
    thread_ids_on_board,
    user_id,
    where,
)
from staff import (
    LOCKED,
    THANKS,
    act,
    client_at,
    forms_without_token,
    header_problems,
    inline_code,
    logged_actions,
    open_report_ids,
    post_form_actions,
    refused_without_token,
    report,
    reported_posts,
    status_text,
    text_of,
)

pytestmark = pytest.mark.since("13")

# The shared browsers logged in as "milo" and "ann" (staff.py), as fixtures of this module.
moderator, admin = staff.moderator, staff.admin


def search_ids(client, words):
    return thread_ids(page(client.get(f"/search?q={words}")).links_after(r"\b\d+ threads? found\b"))


# --- who may do what --------------------------------------------------------------

ROLES = ("anonymous", "disabled", "moderator", "admin")


def test_who_may_open_and_use_each_moderation_page(app):
    """The permission matrix: every moderators' route, for a visitor, a disabled moderator
    (logged in before an admin disabled them), a moderator and an admin; the 403 page
    and the staff home's links."""
    visitor = app.test_client()
    browsers = {
        "anonymous": visitor,
        "disabled": staff_client(app, "dora"),
        "moderator": staff_client(app, "milo"),
        "admin": staff_client(app, "ann", "admin"),
    }
    admin = browsers["admin"]
    assert act(admin, f"/mod/users/{user_id(app, 'dora')}/disable").status_code == 303

    def thread(locked=False, pinned=False):
        made = create_thread(visitor, title="Matrix")
        if locked:
            assert act(admin, f"/mod/threads/{made}/lock").status_code == 303
        if pinned:
            assert act(admin, f"/mod/threads/{made}/pin").status_code == 303
        return made

    def post():
        made = thread()
        assert reply(visitor, made, "A reply to delete").status_code == 303
        return post_ids(visitor, made)[-1]

    # One open report for each browser to dismiss.
    for _ in ROLES:
        assert report(visitor, post_ids(visitor, thread())[0]).status_code == 303
    reports = open_report_ids(admin)
    assert len(reports) == len(ROLES)

    routes = {
        "GET /mod/reports": lambda: "/mod/reports",
        "GET /mod/log": lambda: "/mod/log",
        "POST /mod/reports/<id>/dismiss": lambda: f"/mod/reports/{reports.pop()}/dismiss",
        "POST /mod/posts/<id>/delete": lambda: f"/mod/posts/{post()}/delete",
        "POST /mod/threads/<id>/delete": lambda: f"/mod/threads/{thread()}/delete",
        "POST /mod/threads/<id>/lock": lambda: f"/mod/threads/{thread()}/lock",
        "POST /mod/threads/<id>/unlock": lambda: f"/mod/threads/{thread(locked=True)}/unlock",
        "POST /mod/threads/<id>/pin": lambda: f"/mod/threads/{thread()}/pin",
        "POST /mod/threads/<id>/unpin": lambda: f"/mod/threads/{thread(pinned=True)}/unpin",
        "POST /mod/threads/<id>/move": lambda: f"/mod/threads/{thread()}/move",
    }
    seen = {route: {} for route in routes}
    for role in ROLES:
        for route, url_for in routes.items():
            url = url_for()
            if route.startswith("GET"):
                response = browsers[role].get(url)
            else:
                response = act(browsers[role], url, {"board": "chess"} if route.endswith("/move") else {})
            seen[route][role] = "login" if login_redirect_next(response) == url else response.status_code

    as_visitor = {"anonymous": "login", "disabled": "login"}
    refused = {"anonymous": 403, "disabled": 403}
    staff_may = {"moderator": 303, "admin": 303}
    assert seen == {
        "GET /mod/reports": {**as_visitor, "moderator": 200, "admin": 200},
        "GET /mod/log": {**as_visitor, "moderator": 200, "admin": 200},
        **{route: {**refused, **staff_may} for route in routes if route.startswith("POST")},
    }

    # A visitor's 403 is the site's own error page: staff only.
    response = act(visitor, f"/mod/threads/{thread()}/lock")
    assert (response.status_code, response.mimetype) == (403, "text/html")
    assert "staff only" in text_of(response).lower()
    assert page(response).link(text="Back to all boards", href="/")

    # The staff home links to the reports and the log; an admin's also to the users page.
    wanted = ("/mod/reports", "/mod/log", "/mod/users")
    links = {
        role: [href for href in wanted if page(browsers[role].get("/mod/")).link(href=href)]
        for role in ("moderator", "admin")
    }
    assert links == {"moderator": ["/mod/reports", "/mod/log"], "admin": list(wanted)}


def test_staff_see_moderator_controls_on_a_thread_and_visitors_do_not(client, moderator):
    thread_id = create_thread(client)
    reply(client, thread_id, "A reply")
    opening, answer = post_ids(client, thread_id)
    staff_forms = set(post_form_actions(moderator.get(f"/threads/{thread_id}")))
    controls = {
        f"/mod/threads/{thread_id}/lock",
        f"/mod/threads/{thread_id}/pin",
        f"/mod/threads/{thread_id}/move",
        f"/mod/threads/{thread_id}/delete",
        f"/mod/posts/{opening}/delete",
        f"/mod/posts/{answer}/delete",
    }
    assert staff_forms >= controls
    move = next(f for f in page(moderator.get(f"/threads/{thread_id}")).forms() if f.action.endswith("/move"))
    assert move.fields["board"].tag == "select"
    options = {o.get("value") for o in move.fields["board"].descendants() if o.tag == "option"}
    assert {"chess", "knitting"} <= options
    visitor_forms = post_form_actions(client.get(f"/threads/{thread_id}"))
    assert [action for action in visitor_forms if action.startswith("/mod/")] == []


# --- moderator actions ---------------------------------------------------------------


def test_deleting_a_post_removes_it_everywhere_with_its_image(client, moderator, upload_folder):
    """The deleted reply is gone from the thread page, the JSON, search and the board's count;
    its image is deleted."""
    thread_id = create_thread(client, title="Sky tonight", body="Clear skies")
    reply(client, thread_id, "zebracorn sighted", image=("z.png", imagefactory.png()))
    opening, answer = post_ids(client, thread_id)
    [image] = image_urls_in(client.get(f"/threads/{thread_id}"))
    assert search_ids(client, "zebracorn") == [thread_id]
    assert re.search(r"\b2 posts\b", text_of(client.get(f"/boards/{BOARD}")))

    response = submit(moderator, f"/threads/{thread_id}", f"/mod/posts/{answer}/delete")
    assert (response.status_code, where(response).split("#")[0]) == (303, f"/threads/{thread_id}")

    def get_json(url):
        return client.get(url).get_json()

    api_thread = client.get(f"/api/threads/{thread_id}/posts").get_json()
    [api_listing] = client.get(f"/api/boards/{BOARD}/threads").get_json()["threads"]
    assert {
        "thread page": post_ids(client, thread_id),
        "thread JSON": [p["id"] for p in every_post(get_json, thread_id)],
        "JSON total": api_thread["total"],
        "JSON reply count": api_listing["reply_count"],
        "search": search_ids(client, "zebracorn"),
        "image": client.get(image).status_code,
        "files": stored_files(upload_folder),
        "board says": bool(re.search(r"\b1 post\b", text_of(client.get(f"/boards/{BOARD}")))),
    } == {
        "thread page": [opening],
        "thread JSON": [opening],
        "JSON total": 1,
        "JSON reply count": 0,
        "search": [],
        "image": 404,
        "files": [],
        "board says": True,
    }
    # A second moderator clicking the same button: it is gone already.
    assert act(moderator, f"/mod/posts/{answer}/delete").status_code == 404


def test_deleting_a_thread_removes_it_and_every_image(client, moderator, upload_folder):
    thread_id = create_thread(client, title="Doomed zebracorn", image=("a.png", imagefactory.png()))
    reply(client, thread_id, "me too", image=("b.png", imagefactory.png()))
    kept = create_thread(client, title="Kept")
    images = image_urls_in(client.get(f"/threads/{thread_id}"))
    assert len(images) == 2
    report(client, post_ids(client, thread_id)[1], "spam")

    response = submit(moderator, f"/threads/{thread_id}", f"/mod/threads/{thread_id}/delete")
    assert (response.status_code, where(response)) == (303, f"/boards/{BOARD}")
    assert {
        "thread page": client.get(f"/threads/{thread_id}").status_code,
        "thread JSON": client.get(f"/api/threads/{thread_id}/posts").status_code,
        "board": thread_ids_on_board(client),
        "search": search_ids(client, "zebracorn"),
        "images": [client.get(url).status_code for url in images],
        "files": stored_files(upload_folder),
        "its reports": open_report_ids(moderator),
    } == {
        "thread page": 404,
        "thread JSON": 404,
        "board": [kept],
        "search": [],
        "images": [404, 404],
        "files": [],
        "its reports": [],
    }
    assert act(moderator, f"/mod/threads/{thread_id}/delete").status_code == 404


def test_a_locked_thread_takes_no_replies_until_unlocked(client, moderator, upload_folder):
    thread_id = create_thread(client, title="Quiet please")
    url = f"/threads/{thread_id}"
    response = submit(moderator, url, f"/mod/threads/{thread_id}/lock")
    assert (response.status_code, where(response).split("#")[0]) == (303, url)

    shown = client.get(url)
    assert LOCKED in status_text(shown)
    assert f"{url}/replies" not in post_form_actions(shown)
    assert re.search(r"\bLocked\b", text_of(client.get(f"/boards/{BOARD}")))
    # Someone with the page still open tries anyway: refused, nothing stored.
    refused = post_form(client, f"/boards/{BOARD}", f"{url}/replies", {"body": "Let me in"},
                        image=("x.png", imagefactory.png()))
    assert refused.status_code == 403
    assert LOCKED in text_of(refused)
    assert len(post_ids(client, thread_id)) == 1
    assert stored_files(upload_folder) == []

    assert submit(moderator, url, f"/mod/threads/{thread_id}/unlock").status_code == 303
    assert LOCKED not in text_of(client.get(url))
    assert not re.search(r"\bLocked\b", text_of(client.get(f"/boards/{BOARD}")))
    assert reply(client, thread_id, "Back again").status_code == 303


def test_locking_twice_is_fine_and_logged_once_and_unknown_ids_are_404(client, moderator):
    """Two moderators lock the same thread at once: both get 303, the log has one entry.
    An action on a thread, post or report that does not exist is 404."""
    thread_id = create_thread(client)
    statuses = [act(moderator, f"/mod/threads/{thread_id}/lock").status_code for _ in range(2)]
    assert statuses == [303, 303]
    assert logged_actions(moderator) == ["lock thread"]

    statuses = {
        action: act(moderator, action, {"board": "chess"}).status_code
        for action in (
            "/mod/threads/999999/lock", "/mod/threads/999999/unlock", "/mod/threads/999999/pin",
            "/mod/threads/999999/unpin", "/mod/threads/999999/move", "/mod/threads/999999/delete",
            "/mod/posts/999999/delete", "/mod/reports/999999/dismiss",
        )
    }
    assert statuses == dict.fromkeys(statuses, 404)


def test_a_pinned_thread_comes_first_on_its_board(client, moderator):
    pinned = create_thread(client, title="Board rules")
    newer = create_thread(client, title="Newer")
    assert thread_ids_on_board(client) == [newer, pinned]

    response = submit(moderator, f"/threads/{pinned}", f"/mod/threads/{pinned}/pin")
    assert (response.status_code, where(response).split("#")[0]) == (303, f"/threads/{pinned}")
    reply(client, newer, "bump")
    assert thread_ids_on_board(client) == [pinned, newer]
    assert re.search(r"\bPinned\b", text_of(client.get(f"/boards/{BOARD}")))

    assert submit(moderator, f"/threads/{pinned}", f"/mod/threads/{pinned}/unpin").status_code == 303
    assert thread_ids_on_board(client) == [newer, pinned]
    assert not re.search(r"\bPinned\b", text_of(client.get(f"/boards/{BOARD}")))


def test_moving_a_thread_to_another_board(client, moderator):
    thread_id = create_thread(client, title="Best opening for beginners")
    url = f"/threads/{thread_id}"
    response = submit(moderator, url, f"/mod/threads/{thread_id}/move", {"board": "chess"})
    assert (response.status_code, where(response).split("#")[0]) == (303, url)
    assert (thread_ids_on_board(client, "chess"), thread_ids_on_board(client)) == ([thread_id], [])

    refused = {
        board: act(moderator, f"/mod/threads/{thread_id}/move", {"board": board}).status_code
        for board in ("no-such-board", "chess", "")
    }
    assert refused == {"no-such-board": 400, "chess": 400, "": 400}
    assert thread_ids_on_board(client, "chess") == [thread_id]


def test_the_audit_log_lists_each_action_newest_first_with_who_did_it(app, client, moderator):
    thread_id = create_thread(client, title="Logged")
    reply(client, thread_id, "spam spam spam")
    _, spam = post_ids(client, thread_id)
    url = f"/threads/{thread_id}"
    for action, fields in (
        ("lock", {}), ("pin", {}), ("move", {"board": "chess"}), ("unpin", {}), ("unlock", {}),
    ):
        assert submit(moderator, url, f"/mod/threads/{thread_id}/{action}", fields).status_code == 303
    assert submit(moderator, url, f"/mod/posts/{spam}/delete").status_code == 303
    assert submit(moderator, url, f"/mod/threads/{thread_id}/delete").status_code == 303

    # Read by someone else: the log names the moderator, not the reader.
    admin = staff_client(app, "ann", "admin")
    assert logged_actions(admin) == [
        "delete thread", "delete post", "unlock thread", "unpin thread", "move thread",
        "pin thread", "lock thread",
    ]
    text = text_of(admin.get("/mod/log"))
    assert re.search(r"\bmilo\b", text)
    assert f"thread {thread_id}" in text
    assert "astronomy → chess" in text
    assert "spam spam spam" in text


def test_the_audit_log_lists_the_admins_changes_to_accounts(app, admin):
    """Making an account, changing its role, disabling and enabling it: each in the log."""
    new_account = {"username": "zoe", "password": PASSWORD, "role": "moderator"}
    assert submit(admin, "/mod/users", "/mod/users", new_account).status_code == 303
    zoe = user_id(app, "zoe")
    for action, fields in (("role", {"role": "admin"}), ("disable", {}), ("enable", {})):
        assert act(admin, f"/mod/users/{zoe}/{action}", fields).status_code == 303
    assert logged_actions(admin) == ["enable user", "disable user", "change role", "create user"]
    text = text_of(admin.get("/mod/log"))
    assert re.search(r"\bann\b", text) and "user zoe" in text and "moderator → admin" in text


# --- reports ----------------------------------------------------------------------


def test_every_post_has_a_report_link_to_a_labelled_form(client):
    thread_id = create_thread(client)
    reply(client, thread_id, "Buy cheap watches")
    shown = page(client.get(f"/threads/{thread_id}"))
    for post_id in post_ids(client, thread_id):
        link = shown.link(href=f"/posts/{post_id}/report")
        assert link is not None and "Report" in link.text()

    response = client.get(f"/posts/{post_ids(client, thread_id)[1]}/report")
    assert response.status_code == 200
    form_page = page(response)
    form = next(f for f in form_page.forms() if f.action == f"/posts/{post_ids(client, thread_id)[1]}/report")
    radios = [e for e in form.element.descendants() if e.tag == "input" and e.get("name") == "reason"]
    assert {r.get("type") for r in radios} == {"radio"}
    assert {r.get("value") for r in radios} == {"spam", "off-topic", "illegal", "other"}
    for radio in radios:  # each one labelled
        labelled = form_page.find_all("label", for_=radio.get("id")) if radio.get("id") else []
        assert labelled or radio.inside("label"), radio
    assert form.method == "post"
    assert form.fields["details"].tag == "textarea"
    assert "details" in field_labels(form, form_page)
    assert form.fields["csrf_token"].get("type") == "hidden"


def test_a_report_thanks_the_visitor_and_joins_the_queue_newest_first(app, client):
    thread_id = create_thread(client, title="Reported")
    reply(client, thread_id, "First bad post")
    reply(client, thread_id, "Second bad post")
    _, first, second = post_ids(client, thread_id)

    response = report(client, first, "spam", "Selling watches")
    assert (response.status_code, where(response)) == (303, f"/threads/{thread_id}#post-{first}")
    assert THANKS in status_text(client.get(where(response)))
    assert THANKS not in text_of(client.get(f"/threads/{thread_id}"))  # said once
    assert report(client, second, "off-topic", "About cooking").status_code == 303

    staff = staff_client(app, "milo")
    queue = staff.get("/mod/reports")
    assert reported_posts(staff) == [second, first]
    text = text_of(queue)
    for words in ("First bad post", "Second bad post", "spam", "off-topic", "Selling watches",
                  "About cooking"):
        assert words in text
    assert f"/threads/{thread_id}#post-{first}" in page(queue).hrefs()


def test_a_bad_report_is_refused_and_nothing_is_queued(app, client):
    thread_id = create_thread(client)
    [post_id] = post_ids(client, thread_id)
    statuses = {
        "no reason": report(client, post_id, "").status_code,
        "unknown reason": report(client, post_id, "rude").status_code,
        "details of 501 characters": report(client, post_id, "other", "d" * 501).status_code,
        "unknown post": act(client, "/posts/999999/report", {"reason": "spam"}).status_code,
        "form of an unknown post": client.get("/posts/999999/report").status_code,
    }
    assert statuses == {
        "no reason": 400,
        "unknown reason": 400,
        "details of 501 characters": 400,
        "unknown post": 404,
        "form of an unknown post": 404,
    }
    again = report(client, post_id, "other", "d" * 501)
    assert "reason" in page(again).fields()  # the form again, to fix
    staff = staff_client(app, "milo")
    assert open_report_ids(staff) == []
    # At the limits: 500 characters, or only invisible ones (taken as none), are fine.
    assert report(client, post_id, "other", "d" * 500).status_code == 303
    assert report(client_at(app, "10.0.0.2"), post_id, "illegal", "\u200b\u200b").status_code == 303
    assert len(open_report_ids(staff)) == 2


def test_dismissing_a_report_takes_it_off_the_queue(client, moderator):
    thread_id = create_thread(client)
    [post_id] = post_ids(client, thread_id)
    report(client, post_id, "spam")
    [report_id] = open_report_ids(moderator)

    response = submit(moderator, "/mod/reports", f"/mod/reports/{report_id}/dismiss")
    assert (response.status_code, where(response)) == (303, "/mod/reports")
    assert open_report_ids(moderator) == []
    assert post_ids(client, thread_id) == [post_id]  # the post stays
    assert act(moderator, f"/mod/reports/{report_id}/dismiss").status_code == 404
    assert logged_actions(moderator) == ["dismiss report"]


def test_deleting_a_reported_post_from_the_queue_closes_its_reports(app, client, moderator):
    thread_id = create_thread(client)
    reply(client, thread_id, "Nasty")
    reply(client, thread_id, "Also nasty")
    opening, nasty, also = post_ids(client, thread_id)
    report(client, nasty, "spam")
    report(client_at(app, "10.0.0.2"), nasty, "illegal")
    report(client, also, "other")
    assert sorted(reported_posts(moderator)) == [nasty, nasty, also]

    response = submit(moderator, "/mod/reports", f"/mod/posts/{nasty}/delete")
    assert (response.status_code, where(response)) == (303, "/mod/reports")
    assert post_ids(client, thread_id) == [opening, also]
    assert reported_posts(moderator) == [also]


def test_one_client_reports_a_post_once_while_its_report_is_open(app, client, moderator):
    """The same post again from the same address: 409, "already reported", no second
    report. Another address may report it; once dismissed, it may be reported again."""
    thread_id = create_thread(client)
    [post_id] = post_ids(client, thread_id)
    assert report(client, post_id, "spam").status_code == 303
    again = report(app.test_client(), post_id, "illegal", "Really bad")  # a new browser, same address
    assert again.status_code == 409
    assert "You have already reported this post." in text_of(again)
    assert reported_posts(moderator) == [post_id]
    assert report(client_at(app, "10.0.0.2"), post_id, "other").status_code == 303
    assert len(open_report_ids(moderator)) == 2
    for report_id in open_report_ids(moderator):
        assert act(moderator, f"/mod/reports/{report_id}/dismiss").status_code == 303
    assert report(client, post_id, "spam").status_code == 303
    assert reported_posts(moderator) == [post_id]


def test_reports_of_one_post_sent_at_the_same_moment_are_stored_once(app, moderator):
    """Six reports of one post from one address at once: one is stored, five get 409."""
    thread_id = create_thread(app.test_client())
    post_id = post_ids(app.test_client(), thread_id)[0]
    start_together = threading.Barrier(6)

    def send(number):
        client = app.test_client()
        url = f"/posts/{post_id}/report"
        token = csrf_token(client.get(url).get_data(as_text=True))  # before the race
        start_together.wait()
        return client.post(url, data={"reason": "spam", "csrf_token": token}).status_code

    with ThreadPoolExecutor(6) as pool:
        statuses = sorted(pool.map(send, range(6)))
    assert statuses == [303] + [409] * 5
    assert reported_posts(moderator) == [post_id]




# --- the new forms and pages, guarded like every other (step 12) ---------------------------


def test_the_new_forms_refuse_a_post_without_the_right_token(app, client, moderator):
    """A report, a lock, a delete or a dismissal without the right token: 400, nothing changes."""
    thread_id = create_thread(client, title="Protected")
    [post_id] = post_ids(client, thread_id)
    report(client, post_id, "spam")
    [report_id] = open_report_ids(moderator)
    visitor = app.test_client()
    visitor.get("/login")  # a session with a token of its own
    sends = {
        "report": (visitor, f"/posts/{post_id}/report", {"reason": "spam"}),
        "lock": (moderator, f"/mod/threads/{thread_id}/lock", {}),
        "delete post": (moderator, f"/mod/posts/{post_id}/delete", {}),
        "dismiss": (moderator, f"/mod/reports/{report_id}/dismiss", {}),
    }
    seen = {form: refused_without_token(*send) for form, send in sends.items()}
    assert seen == {form: {"none": (400, True), "wrong": (400, True)} for form in sends}
    assert (post_ids(client, thread_id), open_report_ids(moderator)) == ([post_id], [report_id])
    assert f"/threads/{thread_id}/replies" in post_form_actions(client.get(f"/threads/{thread_id}"))
    assert logged_actions(moderator) == []


def test_the_new_pages_send_the_security_headers_and_their_forms_carry_a_token(client, admin):
    thread_id = create_thread(client, title="Headers", image=("h.png", imagefactory.png()))
    [post_id] = post_ids(client, thread_id)
    report(client, post_id, "spam")
    answers = {
        "visitor report form": client.get(f"/posts/{post_id}/report"),
        "visitor POST lock": act(client, f"/mod/threads/{thread_id}/lock"),
        "admin thread page": admin.get(f"/threads/{thread_id}"),
        "admin reports": admin.get("/mod/reports"),
        "admin log": admin.get("/mod/log"),
    }
    assert header_problems(answers) == {}
    assert {name: inline_code(answer) for name, answer in answers.items()} == {name: [] for name in answers}
    forms = {name: forms_without_token(answer) for name, answer in answers.items()}
    assert forms == {name: [] for name in answers}
    actions = {action for name in answers for action in post_form_actions(answers[name])}
    assert actions >= {
        f"/posts/{post_id}/report", f"/mod/threads/{thread_id}/lock", f"/mod/posts/{post_id}/delete",
        f"/mod/threads/{thread_id}/move", f"/mod/reports/{open_report_ids(admin)[0]}/dismiss",
    }
