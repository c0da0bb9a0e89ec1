"""Exercise 23.1 · A fourth chart: reports per day."""

from datetime import datetime, timedelta, timezone

from forum import create_thread, post_ids, reply, staff_client
from staff import act, charts_in, open_report_ids, report, tables

TITLE = "Reports per day"
CAPTION = "Reports per day, the last 30 days (UTC)"
THREE_CHARTS = ["Posts per day, all boards", "Busiest threads this week", "Uploads per day"]


def two_reports_today(app):
    """A visitor reports two posts; a moderator dismisses one of the reports.
    Returns the moderator's browser and today's date (UTC)."""
    visitor = app.test_client()
    thread_id = create_thread(visitor, title="Reported")
    assert reply(visitor, thread_id, "Buy watches cheap").status_code == 303
    for post_id in post_ids(visitor, thread_id):
        assert report(visitor, post_id).status_code == 303
    moderator = staff_client(app, "milo")
    assert act(moderator, f"/mod/reports/{open_report_ids(moderator)[0]}/dismiss").status_code == 303
    return moderator, datetime.now(timezone.utc).date()


def test_the_dashboard_draws_a_chart_of_reports_per_day(app, note):
    """/mod/ has a fourth chart, "Reports per day", after the other three, that counts today's 2 reports.

    Its description says "2 reports in the last 30 days; busiest day <today>
    with 2.": the dismissed report counts too, it was sent today.

    Hint: in activity.py, write reports_per_day(days=30, today=None) like
    posts_per_day(), counting Report rows by utc_day(Report.created_at). In
    charts.py, give dashboard_charts() a fourth entry, "reports_per_day", made
    like "uploads_per_day": its title, a bar_chart() and describe_series(rows, "reports").
    """
    moderator, today = two_reports_today(app)
    charts = charts_in(moderator.get("/mod/"))
    titles = [title for title, _ in charts]
    assert titles == THREE_CHARTS + [TITLE], f"the dashboard's charts are {titles}"
    expected = f"2 reports in the last 30 days; busiest day {today.isoformat()} with 2."
    assert charts[-1][1] == expected, f"the chart of reports says {charts[-1][1]!r}"
    note(f"the fourth chart says: {charts[-1][1]}")


def test_its_numbers_are_in_a_table_under_it(app, note):
    """Under the chart, a table "Reports per day, the last 30 days (UTC)", one row a day, 2 today.

    The rows are the 30 days ending today, oldest first, with 0 on the days without reports.

    Hint: in templates/mod/_charts.html, copy the uploads' <section> and make it
    show charts.reports_per_day: its title, its svg, and a table of (day, count) rows.
    """
    moderator, today = two_reports_today(app)
    shown = tables(moderator.get("/mod/"))
    assert CAPTION in shown, f"no table captioned {CAPTION!r}; the captions are {list(shown)}"
    days = [(today - timedelta(days=back)).isoformat() for back in range(29, -1, -1)]
    expected = [[day, "0"] for day in days[:-1]] + [[days[-1], "2"]]
    assert shown[CAPTION] == expected, f"its rows are {shown[CAPTION][-3:]} (the last three of them)"
    note(f"the table ends with {shown[CAPTION][-1]}")


def test_still_the_three_charts_and_their_tables(app):
    """The dashboard still draws posts per day, the busiest threads and uploads per day, in that order."""
    moderator, _ = two_reports_today(app)
    dashboard = moderator.get("/mod/")
    assert [title for title, _ in charts_in(dashboard)][:3] == THREE_CHARTS
    assert tables(dashboard)["Posts per day, all boards, the last 30 days (UTC)"][-1][1] == "2"
