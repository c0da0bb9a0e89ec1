"""Step 23: the moderators' dashboard, with charts of the site's activity.

What a moderator notices: /mod/ shows the newest open reports and the latest
actions of the log, then three charts drawn by the server: posts per day over
30 days (all boards, or one chosen in a small form), the busiest threads of
the last 7 days and uploads per day. Each chart is an SVG image that says in
words what it shows, with a table of its numbers under it; there is no script
and no inline style, as the Content-Security-Policy demands.

Everything is posted through the site's forms and read from the dashboard as a
moderator's browser gets it. The charts' drawing itself (bar heights, ticks,
ids) is tested on its own in final/tests/test_charts.py, the counting by UTC
day (on PostgreSQL too) in final/tests/test_activity.py.
"""

import re
from datetime import datetime, timedelta, timezone

import imagefactory
import pytest
import staff
from forum import create_thread, full_image_urls_in, page, post_ids, reply, submit, where
from staff import act, charts_in, inline_code, report, tables

pytestmark = pytest.mark.since("23")

# The shared browser logged in as "milo" (staff.py), as a fixture of this module.
moderator = staff.moderator

# A thread title typed by a visitor, that would end the chart and start a script if it were not escaped.
HOSTILE = '</svg><script>alert("x")</script><b a=\'1\'>&amp;'


def busy_week(client):
    """A thread on Chess with a hostile title and 3 posts, one of them with an image,
    and a quiet one on Film; returns (the hostile thread's id, the image's size in bytes)."""
    hostile = create_thread(client, board="chess", title=HOSTILE, body="first")
    assert reply(client, hostile, "second", image=("board.png", imagefactory.png())).status_code == 303
    assert reply(client, hostile, "third").status_code == 303
    create_thread(client, board="film", title="Quiet", body="only")
    [image_url] = full_image_urls_in(client.get(f"/threads/{hostile}").get_data(as_text=True))
    return hostile, len(client.get(image_url).data)


def selected_board(response):
    """The value of the option chosen in the dashboard's board form."""
    form = page(response).form_with("board")
    assert form is not None, "the dashboard has no form with a board field"
    options = form.fields["board"].descendants()
    return [option.get("value") for option in options if "selected" in option.attrs]


def days_back(today, counts):
    """Table rows [day, count] ending today, oldest first."""
    first = today - timedelta(days=len(counts) - 1)
    return [[(first + timedelta(days=n)).isoformat(), f"{count:,}"] for n, count in enumerate(counts)]


def test_the_dashboard_shows_open_reports_recent_actions_and_the_charts(client, moderator):
    thread_id = create_thread(client, title="Watched")
    reply(client, thread_id, "Buy watches cheap")
    _, spam = post_ids(client, thread_id)
    assert report(client, spam, "spam", "an advert").status_code == 303
    assert act(moderator, f"/mod/threads/{thread_id}/pin").status_code == 303

    dashboard = moderator.get("/mod/")
    shown = page(dashboard)
    assert dashboard.status_code == 200
    text_shown = shown.text()
    assert "1 open report waiting." in text_shown
    assert "Buy watches cheap" in text_shown and "an advert" in text_shown
    assert f"/threads/{thread_id}#post-{spam}" in shown.hrefs()
    assert re.search(rf"milo pin thread thread {thread_id} Watched", text_shown)
    assert "Posts per day, all boards" in text_shown
    assert shown.find_all("svg")

    # Deleting the post from the dashboard comes back to the dashboard.
    deleted = submit(moderator, "/mod/", f"/mod/posts/{spam}/delete")
    assert (deleted.status_code, where(deleted)) == (303, "/mod/")
    assert "No open reports." in page(moderator.get("/mod/")).text()
    narrowed = page(moderator.get("/mod/?board=chess")).text()
    assert "Posts per day on Chess" in narrowed


def test_the_dashboard_draws_three_charts_with_their_numbers(client, moderator):
    today = datetime.now(timezone.utc).date()
    hostile, image_bytes = busy_week(client)
    dashboard = moderator.get("/mod/?board=chess")
    html = dashboard.get_data(as_text=True)
    shown = page(html)

    assert [h2.text() for h2 in shown.find_all("h2")][-3:] == [
        "Posts per day on Chess", "Busiest threads this week", "Uploads per day",
    ]
    assert charts_in(html) == [
        ("Posts per day on Chess", f"3 posts in the last 30 days; busiest day {today} with 3."),
        ("Busiest threads this week",
         "The 2 threads with the most posts in the last 7 days; "
         f"busiest: \u201c{HOSTILE}\u201d with 3 posts."),
        ("Uploads per day", f"1 upload in the last 30 days; busiest day {today} with 1."),
    ]
    # Under each chart its numbers, in a table a screen reader can read.
    numbers = tables(dashboard)
    assert numbers["Posts per day on Chess, the last 30 days (UTC)"] == days_back(today, [0] * 29 + [3])
    busiest = numbers["The threads with the most posts in the last 7 days"]
    assert [row[:3] for row in busiest] == [[HOSTILE, "chess", "3"], ["Quiet", "film", "1"]]
    assert all(row[3].startswith(f"{today.isoformat()} ") for row in busiest)  # the last post, in UTC
    uploads = numbers["Uploads per day, the last 30 days (UTC)"]
    assert len(uploads) == 30
    yesterday = (today - timedelta(days=1)).isoformat()
    assert uploads[-2:] == [[yesterday, "0", "0"], [today.isoformat(), "1", f"{image_bytes:,}"]]
    assert all(th.get("scope") == "col" for th in shown.find_all("th"))
    assert f"/threads/{hostile}" in shown.hrefs()

    # The visitor's title is text everywhere, in the charts and in the tables.
    assert HOSTILE not in html and "&lt;/svg&gt;&lt;script&gt;" in html
    # No script, no style="": the Content-Security-Policy would block them.
    assert inline_code(dashboard) == []
    assert not shown.find_all("script")


def test_the_board_form_narrows_the_posts_chart(client, moderator):
    busy_week(client)
    form = page(moderator.get("/mod/")).form_with("board")
    assert form is not None, "the dashboard has no form with a board field"
    assert (form.method, form.action) == ("get", "/mod/")  # it comes back to the dashboard
    today = datetime.now(timezone.utc).date().isoformat()
    seen = {}
    for board in ("chess", "film", ""):
        dashboard = moderator.get(f"/mod/?board={board}")
        [posts] = [rows for caption, rows in tables(dashboard).items() if caption.startswith("Posts per day")]
        seen[board] = (selected_board(dashboard), posts[-1])
    assert seen == {
        "chess": (["chess"], [today, "3"]),
        "film": (["film"], [today, "1"]),
        "": ([""], [today, "4"]),
    }


@pytest.mark.parametrize("board", ["nope", "", "<script>x</script>", "Chess"])
def test_a_board_that_is_not_a_board_is_ignored(client, moderator, board):
    """A typo, an old link or something hostile in ?board= shows every board, never an error."""
    busy_week(client)
    dashboard = moderator.get("/mod/", query_string={"board": board})
    assert dashboard.status_code == 200
    titles = [title for title, _ in charts_in(dashboard)]
    assert titles[:1] == ["Posts per day, all boards"]
    assert tables(dashboard)["Posts per day, all boards, the last 30 days (UTC)"][-1][1] == "4"
    assert selected_board(dashboard) == [""]
    assert "<script>x" not in dashboard.get_data(as_text=True)


def test_the_charts_stylesheet_is_linked_and_served(client, moderator):
    assert "/static/charts.css" in page(moderator.get("/mod/")).stylesheets()
    stylesheet = client.get("/static/charts.css")
    assert (stylesheet.status_code, stylesheet.mimetype) == (200, "text/css")
    assert ".chart-bar" in stylesheet.get_data(as_text=True)
