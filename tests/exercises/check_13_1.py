"""Exercise 13.1 · Whose actions? The log of one account: /mod/log?username=NAME."""

import re

from forum import create_thread, page, staff_client
from staff import act, logged_actions


def actions_in_the_log_of(admin, name):
    """The actions on /mod/log?username=NAME, newest first."""
    text = page(admin.get(f"/mod/log?username={name}")).text()
    return re.findall(r"\b(lock thread|pin thread)\b", text)


def two_moderators_at_work(app):
    """milo locks a thread, kim pins another; returns the admin's browser, who reads the log."""
    client = app.test_client()
    locked, pinned = create_thread(client, title="Locked"), create_thread(client, title="Pinned")
    assert act(staff_client(app, "milo"), f"/mod/threads/{locked}/lock").status_code == 303
    assert act(staff_client(app, "kim"), f"/mod/threads/{pinned}/pin").status_code == 303
    return staff_client(app, "ann", "admin")


def test_the_log_of_one_account_lists_only_its_actions(app, note):
    """/mod/log?username=milo lists milo's lock, not kim's pin; a name with no actions, nothing.

    Hint: in log() in moderation.py, read request.args.get("username", ""), and
    give both queries (the count and the page) the condition
    WHERE ? = '' OR username = ?, with the name twice among the values: with no
    name, '' = '' is true for every row.
    """
    admin = two_moderators_at_work(app)
    seen = {name: actions_in_the_log_of(admin, name) for name in ("milo", "kim", "nobody")}
    assert seen == {"milo": ["lock thread"], "kim": ["pin thread"], "nobody": []}, (
        f"the log of each name lists: {seen}"
    )
    note("milo's log has only the lock, kim's only the pin, and nobody's is empty")


def test_each_name_in_the_log_links_to_its_own_log(app, note):
    """On /mod/log, the name in each row is a link to /mod/log?username=NAME.

    Hint: in templates/mod/log.html, write the name as
    <a href="{{ url_for('moderation.log', username=entry.username) }}">.
    """
    admin = two_moderators_at_work(app)
    links = set(page(admin.get("/mod/log")).hrefs())
    missing = [name for name in ("milo", "kim") if f"/mod/log?username={name}" not in links]
    assert not missing, f"no link to the log of {', '.join(missing)} on /mod/log"
    note("each moderator's name on the log leads to their own log")


def test_still_the_whole_log_without_a_name(app):
    """/mod/log with no ?username= still lists everyone's actions, newest first."""
    admin = two_moderators_at_work(app)
    assert logged_actions(admin) == ["pin thread", "lock thread"]
