"""The dashboard's SVG charts (chatsite.charts) and their template, mod/_charts.html.

The charts themselves need no database: those tests run once. The dashboard's
data and the template read the database: those run on SQLite and PostgreSQL.

A board in the form that is not a board (a typo, an old link, something
hostile) is ignored: the posts chart shows all boards, as with no board at all.
"""

import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta, timezone
from html.parser import HTMLParser

import pytest
from flask import render_template_string, request
from markupsafe import Markup

from chatsite import charts

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '</svg><script>alert("x")</script><b a=\'1\'>&amp;'
TEMPLATE = '{% include "mod/_charts.html" %}'


def days(counts, last=date(2026, 11, 20)):
    first = last - timedelta(days=len(counts) - 1)
    return [(first + timedelta(days=n), count) for n, count in enumerate(counts)]


def parse(svg):
    """The SVG as an XML tree: it must be well-formed. (Our own output, not a
    stranger's XML: the standard library's parser is fine here.)"""
    return ET.fromstring(str(svg))  # noqa: S314


def texts(root, tag):
    return [element.text for element in root.iter(SVG + tag)]


def assert_accessible(root):
    """role="img", named and described by its own <title> and <desc>."""
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert [child.tag for child in root][:2] == [SVG + "title", SVG + "desc"]
    assert (root[0].get("id"), root[1].get("id")) == (title_id, desc_id)
    assert root.get("viewBox").startswith("0 0 ")
    assert root.get("width") is None and root.get("height") is None  # the page sizes it


# --- vertical bars ---------------------------------------------------------------------


def test_bar_chart_is_an_accessible_svg_with_a_bar_per_day():
    points = days([0, 3, 0, 41, 7, 0, 0, 0, 5, 0])
    svg = charts.bar_chart("Posts per day", points, description="56 posts", value_label="posts")
    assert isinstance(svg, Markup)  # Jinja puts it in the page as it is
    root = parse(svg)
    assert_accessible(root)
    assert texts(root, "title")[0] == "Posts per day"
    assert texts(root, "desc") == ["56 posts"]
    bars = [rect for rect in root.iter(SVG + "rect") if "chart-bar" in rect.get("class").split()]
    assert len(bars) == len(points)
    # The empty days are a thin mark on the baseline, not nothing.
    empty = [float(rect.get("height")) for rect in bars if "chart-bar-empty" in rect.get("class")]
    assert empty == [2.0] * 6
    # The busiest day reaches the top tick (60 for 41), the others in proportion.
    heights = [float(rect.get("height")) for rect in bars if "chart-bar-empty" not in rect.get("class")]
    assert heights == pytest.approx([3 / 60 * 188, 41 / 60 * 188, 7 / 60 * 188, 5 / 60 * 188], abs=0.1)
    tooltips = texts(root, "title")[1:]
    assert tooltips[:2] == ["2026-11-11: 0 posts", "2026-11-12: 3 posts"]
    labels = [t.text for t in root.iter(SVG + "text") if t.get("class") == "chart-tick-label"]
    # The y axis (round numbers), then a day every 7 days, counted back from the last.
    assert labels == ["0", "20", "40", "60", "Nov 13", "Nov 20"]
    assert [t.text for t in root.iter(SVG + "text") if t.get("class") == "chart-axis-label"] == ["posts"]


def test_a_30_day_chart_labels_every_seventh_day():
    points = days([1] * 30)
    root = parse(charts.bar_chart("Posts", points, description="", value_label="posts"))
    labels = [t.text for t in root.iter(SVG + "text") if t.get("class") == "chart-tick-label"]
    assert labels == ["0", "1", "2", "Oct 23", "Oct 30", "Nov 6", "Nov 13", "Nov 20"]
    assert texts(root, "title")[1] == "2026-10-22: 1 post"


def test_a_chart_of_nothing_is_still_a_chart():
    root = parse(charts.bar_chart("Nothing", [], description="No posts.", value_label="posts"))
    assert_accessible(root)
    assert list(root.iter(SVG + "rect")) == []


@pytest.mark.parametrize(
    ("largest", "ticks"),
    [
        (0, [0, 1, 2]),
        (1, [0, 1, 2]),
        (4, [0, 1, 2, 3, 4]),
        (5, [0, 2, 4, 6]),
        (10, [0, 5, 10]),
        (41, [0, 20, 40, 60]),
        (100, [0, 50, 100]),
        (101, [0, 50, 100, 150]),
        (1234, [0, 500, 1000, 1500]),
        (99_999, [0, 50_000, 100_000]),
    ],
)
def test_the_y_axis_has_3_to_5_round_ticks(largest, ticks):
    assert charts.round_ticks(largest) == ticks


def test_every_chart_has_ids_of_its_own():
    first = parse(charts.bar_chart("Posts", days([1]), description="", value_label="posts"))
    second = parse(charts.bar_chart("Posts", days([1]), description="", value_label="posts"))
    third = parse(charts.horizontal_bar_chart("!!!", [], description="", value_label="posts"))
    ids = [root.get("aria-labelledby") for root in (first, second, third)]
    assert len(set(ids)) == 3
    assert ids[2].startswith("chart-chart-")  # no letters in the title: a plain id


def test_describe_series():
    assert charts.describe_series(days([0, 41, 3, 41]), "posts") == (
        "85 posts in the last 4 days; busiest day 2026-11-18 with 41."
    )
    assert charts.describe_series(days([0, 1]), "uploads") == (
        "1 upload in the last 2 days; busiest day 2026-11-20 with 1."
    )
    assert charts.describe_series(days([0] * 30), "posts") == "No posts in the last 30 days."


# --- horizontal bars -------------------------------------------------------------------


def test_horizontal_bars_escape_hostile_titles():
    long_title = "A very long thread title that goes on and on and on"
    items = [(HOSTILE, 12), (long_title, 3), ("Quiet", 0)]
    svg = charts.horizontal_bar_chart(
        "Busiest threads", items, description=f"busiest: {HOSTILE}", value_label="posts"
    )
    assert "<script" not in svg and "<b " not in svg
    root = parse(svg)  # a title cannot close the <svg> early: it is still one element
    assert_accessible(root)
    assert texts(root, "desc") == [f"busiest: {HOSTILE}"]
    assert texts(root, "title")[1:] == [f"{HOSTILE}: 12 posts", f"{long_title}: 3 posts", "Quiet: 0 posts"]
    labels = [t.text for t in root.iter(SVG + "text") if t.get("class") == "chart-label"]
    assert labels == [HOSTILE[:35] + "\u2026", "A very long thread title that goes\u2026", "Quiet"]
    assert [t.text for t in root.iter(SVG + "text") if t.get("class") == "chart-value"] == ["12", "3", "0"]
    widths = [float(rect.get("width")) for rect in root.iter(SVG + "rect")]
    assert widths == [344.0, 86.0, 2.0]  # the longest bar is the busiest; 0 is a thin mark


def test_horizontal_bars_of_nothing_say_so():
    root = parse(charts.horizontal_bar_chart("Busiest", [], description="None.", value_label="posts"))
    assert_accessible(root)
    empty = [t.text for t in root.iter(SVG + "text") if t.get("class") == "chart-empty"]
    assert empty == ["Nothing to show yet."]


# --- the dashboard: data and template (on both databases) ---------------------------------


class TagChecker(HTMLParser):
    """Checks that every element is closed, in order (void elements need no end tag)."""

    VOID = {"link", "input", "br", "img", "meta", "hr", "rect", "line"}

    def __init__(self):
        super().__init__()
        self.open = []
        self.starts = []

    def handle_starttag(self, tag, attrs):
        self.starts.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.starts.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        assert self.open and self.open.pop() == tag, f"</{tag}> closes nothing"


def check_html(html):
    """The start tags of well-nested HTML, with their attributes: [(tag, {name: value}), ...]."""
    checker = TagChecker()
    checker.feed(html)
    checker.close()
    assert checker.open == []
    return checker.starts


def render(app, path, charts_context=None):
    with app.test_request_context(path):
        context = charts_context or charts.dashboard_charts(request.args.get("board"))
        return render_template_string(TEMPLATE, charts=context)


def add_posts(posting):
    """A hostile thread on chess with 3 posts (one with an image) and a quiet one on film."""
    image = {"path": "chess/a.png", "content_type": "image/png", "size": 2048, "width": 1, "height": 1,
             "original_name": "a.png", "md5": None}
    hostile = posting.add_thread("chess", HOSTILE, "first").id
    posting.add_reply(hostile, "second", upload=image)
    posting.add_reply(hostile, "third")
    quiet = posting.add_thread("film", "Quiet", "only").id
    return hostile, quiet


def test_dashboard_charts_data(app, posting):
    with app.app_context():
        empty = charts.dashboard_charts()
    assert empty["busiest_threads"]["rows"] == []
    assert parse(empty["busiest_threads"]["svg"]).find(SVG + "desc").text == "No posts in the last 7 days."
    hostile, quiet = add_posts(posting)
    today = datetime.now(timezone.utc).date()
    with app.app_context():
        everything = charts.dashboard_charts()
        chess = charts.dashboard_charts("chess")
    assert set(everything) == {"board", "boards", "posts_per_day", "busiest_threads", "uploads_per_day"}
    assert everything["board"] is None and chess["board"] == "chess"
    assert everything["boards"][:2] == [
        {"slug": "astronomy", "name": "Astronomy"},
        {"slug": "baking", "name": "Baking"},
    ]
    assert everything["posts_per_day"]["rows"] == days([0] * 29 + [4], last=today)
    assert chess["posts_per_day"]["rows"] == days([0] * 29 + [3], last=today)
    assert chess["posts_per_day"]["title"] == "Posts per day on Chess"
    assert everything["uploads_per_day"]["rows"][-2:] == [(today - timedelta(days=1), 0, 0), (today, 1, 2048)]
    busiest = everything["busiest_threads"]
    assert [(t["id"], t["posts"]) for t in busiest["rows"]] == [(hostile, 3), (quiet, 1)]
    assert parse(busiest["svg"]).find(SVG + "desc").text == (
        f"The 2 threads with the most posts in the last 7 days; busiest: \u201c{HOSTILE}\u201d with 3 posts."
    )
    posts_desc = parse(everything["posts_per_day"]["svg"]).find(SVG + "desc").text
    assert posts_desc == f"4 posts in the last 30 days; busiest day {today.isoformat()} with 4."


def test_the_partial_renders_three_charts_with_their_tables(app, posting):
    hostile, _ = add_posts(posting)
    html = render(app, "/mod/dashboard?board=chess&page=2")
    starts = check_html(html)
    tags = [tag for tag, _ in starts]
    assert tags.count("h2") == 3 and tags.count("svg") == 3
    assert tags.count("table") == tags.count("caption") == tags.count("details") == 3
    assert all(attrs.get("scope") == "col" for tag, attrs in starts if tag == "th")
    # No script, no inline style: the CSP would block them.
    assert "<script" not in html and "style=" not in html and "<style" not in html
    assert HOSTILE not in html and "&lt;/svg&gt;&lt;script&gt;" in html
    # The form comes back to this page, with the board chosen.
    assert ("form", {"class": "chart-filter", "method": "get", "action": "/mod/dashboard"}) in starts
    selected = [attrs["value"] for tag, attrs in starts if tag == "option" and "selected" in attrs]
    assert selected == ["chess"]
    assert ("a", {"href": f"/threads/{hostile}"}) in starts
    assert ("link", {"rel": "stylesheet", "href": "/static/charts.css"}) in starts
    assert "<h2 id=\"posts-per-day-heading\">Posts per day on Chess</h2>" in html
    # Each SVG, cut out of the page, is well-formed XML on its own.
    for piece in html.split("<svg")[1:]:
        assert_accessible(parse("<svg" + piece.split("</svg>")[0] + "</svg>"))


@pytest.mark.parametrize("board", ["nope", "", "<script>x</script>", "Chess"])
def test_a_board_that_is_not_a_board_is_ignored(app, board, posting):
    add_posts(posting)
    with app.test_request_context("/mod/", query_string={"board": board}):
        context = charts.dashboard_charts(request.args.get("board"))
        html = render_template_string(TEMPLATE, charts=context)
    assert context["board"] is None
    assert context["posts_per_day"]["title"] == "Posts per day, all boards"
    assert context["posts_per_day"]["rows"][-1][1] == 4
    selected = [attrs["value"] for tag, attrs in check_html(html) if tag == "option" and "selected" in attrs]
    assert selected == [""]
    assert "<script>x" not in html


def test_the_stylesheet_is_served(client):
    response = client.get("/static/charts.css")
    assert response.status_code == 200
    assert ".chart-bar" in response.get_data(as_text=True)
