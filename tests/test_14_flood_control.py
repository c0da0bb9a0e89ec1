"""Step 14: flood control. One address may not post, report or guess passwords too fast.

What a user notices: a second new thread within THREAD_INTERVAL seconds, a
second reply within REPLY_INTERVAL (on any thread), a second report within
REPORT_INTERVAL, or too many failed logins in a minute get 429 Too Many
Requests, with a Retry-After header that the page repeats, and nothing stored.

Flood control is off in the staged suite (targets.FLOOD_LIMITS_OFF): these
tests turn one limit on with reload_app(app, THREAD_INTERVAL=60), a restart on
the same data. The shared helpers are in staff.py.
"""

import importlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import imagefactory
import pytest
import staff
from forum import (
    BOARD,
    create_thread,
    create_user,
    log_in,
    post_form,
    post_ids,
    reply,
    stored_files,
    thread_ids_on_board,
)
from staff import client_at, is_anonymous, report, reported_posts, text_of
from targets import reload_app

pytestmark = pytest.mark.since("14")

# The shared browser logged in as "milo" (staff.py), as a fixture of this module.
moderator = staff.moderator


def assert_too_soon(response, interval, words):
    """A 429 whose Retry-After (1..interval whole seconds) the page repeats in ``words``."""
    assert response.status_code == 429
    wait = response.headers["Retry-After"]
    assert wait.isdigit() and 1 <= int(wait) <= interval
    assert words.format(n=wait) in text_of(response)


def test_a_second_thread_too_soon_is_refused_with_429(app, upload_folder):
    limited = reload_app(app, THREAD_INTERVAL=60)
    client = limited.test_client()
    first = create_thread(client, title="First")
    response = post_form(client, f"/boards/{BOARD}", f"/boards/{BOARD}/threads",
                         {"title": "Second", "body": "too soon"}, image=("s.png", imagefactory.png()))
    assert_too_soon(response, 60, "You can start another thread in {n} seconds.")
    assert thread_ids_on_board(client) == [first]
    assert stored_files(upload_folder) == []
    # Another address is not held back.
    assert create_thread(client_at(limited, "10.0.0.2"), title="Elsewhere") in thread_ids_on_board(client)


def test_a_second_reply_too_soon_is_refused_with_429_on_any_thread(app, upload_folder):
    starter = app.test_client()
    one, two = create_thread(starter, title="One"), create_thread(starter, title="Two")
    client = client_at(reload_app(app, REPLY_INTERVAL=10), "10.0.0.7")
    assert reply(client, one, "First reply").status_code == 303
    response = reply(client, two, "Second reply", image=("r.png", imagefactory.png()))
    assert_too_soon(response, 10, "You can post another reply in {n} seconds.")
    assert (len(post_ids(client, one)), len(post_ids(client, two))) == (2, 1)
    assert stored_files(upload_folder) == []


def test_a_refused_form_does_not_start_the_clock(app):
    limited = reload_app(app, THREAD_INTERVAL=60, REPLY_INTERVAL=60)
    starter = client_at(limited, "10.0.0.9")
    thread_id = create_thread(starter, title="Target")
    client = limited.test_client()
    fields = {"title": "", "body": "no title"}
    statuses = [post_form(client, f"/boards/{BOARD}", f"/boards/{BOARD}/threads", fields).status_code]
    statuses.append(post_form(client, f"/boards/{BOARD}", f"/boards/{BOARD}/threads",
                              {"title": "Now with a title"}).status_code)
    statuses.append(post_form(client, f"/boards/{BOARD}", f"/boards/{BOARD}/threads",
                              {"title": "And another"}).status_code)
    replier = client_at(limited, "10.0.0.8")
    statuses += [reply(replier, thread_id, body).status_code for body in (" ", "A reply", "Another")]
    assert statuses == [400, 303, 429, 400, 303, 429]


def test_replies_are_allowed_again_once_the_interval_is_over(app):
    limited = reload_app(app, REPLY_INTERVAL=1)
    thread_id = create_thread(client_at(limited, "10.0.0.9"))
    client = limited.test_client()
    statuses = [reply(client, thread_id, "one").status_code, reply(client, thread_id, "two").status_code]
    time.sleep(1.1)
    statuses.append(reply(client, thread_id, "three").status_code)
    assert statuses == [303, 429, 303]


def test_replies_sent_at_the_same_moment_cannot_all_pass(app):
    """Six replies from one address at once, with REPLY_INTERVAL=60: exactly one is stored."""
    limited = reload_app(app, REPLY_INTERVAL=60)
    thread_id = create_thread(client_at(limited, "10.0.0.9"))
    start_together = threading.Barrier(6)

    def send(number):
        client = limited.test_client()
        client.get(f"/threads/{thread_id}")  # a session with its csrf token, before the race
        start_together.wait()
        return reply(client, thread_id, f"reply {number}").status_code

    with ThreadPoolExecutor(6) as pool:
        statuses = sorted(pool.map(send, range(6)))
    assert statuses == [303] + [429] * 5
    assert len(post_ids(limited.test_client(), thread_id)) == 2


def test_a_second_report_too_soon_is_refused_with_429(app, moderator):
    limited = reload_app(app, REPORT_INTERVAL=60)
    thread_id = create_thread(limited.test_client())
    reply(limited.test_client(), thread_id, "Spam")
    first, second = post_ids(limited.test_client(), thread_id)
    client = client_at(limited, "10.0.0.7")
    assert report(client, first, "spam").status_code == 303
    assert_too_soon(report(client, second, "spam"), 60, "You can send another report in {n} seconds.")
    assert reported_posts(moderator) == [first]
    # Another address is not held back.
    assert report(client_at(limited, "10.0.0.8"), second, "spam").status_code == 303
    assert sorted(reported_posts(moderator)) == [first, second]


def test_the_limits_can_be_set_with_chatsite_environment_variables(app, monkeypatch):
    """CHATSITE_THREAD_INTERVAL=60 in the environment turns the thread limit on."""
    monkeypatch.setenv("CHATSITE_THREAD_INTERVAL", "60")
    create_app = importlib.import_module(app.import_name).create_app
    same_data = {
        name: app.config[name]
        for name in ("UPLOAD_FOLDER", "DATABASE", "DATABASE_URL", "SECRET_KEY")
        if name in app.config
    }
    client = create_app({**same_data, "REPLY_INTERVAL": 0, "LOGIN_ATTEMPTS_PER_MINUTE": 0}).test_client()
    create_thread(client, title="First")
    second = post_form(client, f"/boards/{BOARD}", f"/boards/{BOARD}/threads", {"title": "Second"})
    assert second.status_code == 429


def test_too_many_failed_logins_lock_the_door_for_a_minute(app):
    limited = reload_app(app, LOGIN_ATTEMPTS_PER_MINUTE=3)
    create_user(limited, "ann", "admin")
    client = limited.test_client()
    statuses = [log_in(client, "ann", f"guess {n}").status_code for n in range(4)]
    right = log_in(client, "ann")
    statuses.append(right.status_code)
    assert statuses == [400, 400, 400, 429, 429]
    wait = right.headers["Retry-After"]
    assert wait.isdigit() and 1 <= int(wait) <= 60
    assert is_anonymous(client)


def test_failed_logins_count_per_username_and_per_address(app):
    limited = reload_app(app, LOGIN_ATTEMPTS_PER_MINUTE=3)
    create_user(limited, "ann", "admin")
    create_user(limited, "bob")
    here, there = client_at(limited, "127.0.0.1"), client_at(limited, "10.0.0.2")
    third, guesser, elsewhere = (client_at(limited, f"10.0.0.{n}") for n in (3, 4, 5))
    seen = {
        "ann, a wrong guess from here": [log_in(here, "ann", "guess").status_code for _ in range(2)],
        "ann, a wrong guess from there": log_in(there, "ann", "guess").status_code,
        # Three failures for "ann" in all: her name is locked, wherever the next try comes from.
        "ann, right, from a third address": log_in(third, "ann").status_code,
        # One address guessing many names is locked too, for every name.
        "unknown names from the guesser": [
            log_in(guesser, f"nobody{n}", "guess").status_code for n in range(3)
        ],
        "bob, right, from the guesser": log_in(guesser, "bob").status_code,
        "bob, right, from elsewhere": log_in(elsewhere, "bob").status_code,
    }
    assert seen == {
        "ann, a wrong guess from here": [400, 400],
        "ann, a wrong guess from there": 400,
        "ann, right, from a third address": 429,
        "unknown names from the guesser": [400, 400, 400],
        "bob, right, from the guesser": 429,
        "bob, right, from elsewhere": 303,
    }
