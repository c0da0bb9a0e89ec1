"""The dashboard's SVG charts, drawn by chatsite.charts: no database, no app.

What a moderator sees of them on /mod/ (three charts with their tables, the
board form, a hostile title escaped, the stylesheet) is tested through the
pages by the staged suite, tests/test_23_dashboard.py, on SQLite; the numbers
on both databases by test_activity.py.
"""

import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
from markupsafe import Markup

from chatsite import charts

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '</svg><script>alert("x")</script><b a=\'1\'>&amp;'


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
