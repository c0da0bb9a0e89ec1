"""The moderators' dashboard charts, drawn on the server as SVG.

Why SVG, and why drawn here rather than in the browser:

- No JavaScript. The site's Content-Security-Policy (see __init__.py) runs no
  inline script, and a charting library from a CDN would be one more site to
  trust with our moderators' pages. An SVG is part of the HTML: it shows up
  with the page, without scripts, and prints.
- It scales: every size is in the viewBox's own units, so the chart fits any
  width and stays sharp.
- It can be read without eyes: each chart is role="img" with a <title> and a
  <desc> that say what it shows ("312 posts in the last 30 days; busiest day
  2026-11-20 with 41"), and the dashboard puts the numbers in a table under it.

The CSP also refuses style="" attributes and <style> elements (style-src
'self'). So the shapes get SVG presentation attributes (fill="...",
font-size="..."), which are not CSS and which the CSP lets through, and class
names that static/charts.css can restyle: a stylesheet's rules win over
presentation attributes.

Every piece of text is escaped on its way into the SVG (Markup.format, see
svg_start): thread titles are typed by visitors, and "</svg><script>" in one
must stay text.
"""

import itertools
import math
import re
from datetime import datetime, timezone

from flask import current_app
from markupsafe import Markup

from . import activity

# The drawing area of a chart, in viewBox units (the chart is scaled to fit its box).
WIDTH = 640
HEIGHT = 240
# Room around the bars: for the y axis's numbers on the left, the days below.
MARGIN_LEFT = 48
MARGIN_RIGHT = 24
MARGIN_TOP = 24
MARGIN_BOTTOM = 28
# Horizontal bars: one row per item, the labels in a column on the left.
ROW_HEIGHT = 28
LABEL_WIDTH = 240
LONGEST_LABEL = 36  # characters; longer labels are cut, with "…" (the <title> has all of it)

# Colours as presentation attributes, for a chart seen without charts.css.
BAR_COLOUR = "#2563eb"
EMPTY_BAR_COLOUR = "#9aa5b1"
GRID_COLOUR = "#d9dde3"
AXIS_COLOUR = "#1f2933"
TEXT_COLOUR = "#616e7c"

# Day labels under the bars: every LABEL_EVERY days, counted back from the last.
LABEL_EVERY = 7
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# The dashboard: how far back each chart looks.
POSTS_DAYS = 30
UPLOADS_DAYS = 30
REPORTS_DAYS = 30
BUSIEST_DAYS = 7
BUSIEST_LIMIT = 10

# Each chart gets ids of its own (see new_chart_id): aria-labelledby must name
# this chart's <title>, not the first one on the page.
_chart_numbers = itertools.count(1)


def bar_chart(title, points, *, description, value_label):
    """A chart of vertical bars, one a day: `points` are (date, number) pairs, oldest first.

    `description` is the chart's <desc>, what a screen reader says about it
    (see describe_series); `value_label` is the plural noun for the numbers
    ("posts"), written above the y axis and in each bar's tooltip. A day
    with 0 gets a thin mark on the baseline, so that it is seen as a day with
    nothing rather than a day missing.
    """
    points = list(points)
    chart_id = new_chart_id(title)
    ticks = round_ticks(max((value for _, value in points), default=0))
    top, bottom = MARGIN_TOP, HEIGHT - MARGIN_BOTTOM
    left, right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
    scale = (bottom - top) / ticks[-1]
    slot = (right - left) / max(len(points), 1)  # the width of one day
    parts = [svg_start(chart_id, title, description, WIDTH, HEIGHT, "chart chart-bars")]
    parts.append(text(left, top - 10, value_label, "chart-axis-label", anchor="start"))
    for tick in ticks:
        y = bottom - tick * scale
        parts.append(line(left, y, right, y, "chart-grid", GRID_COLOUR))
        parts.append(text(left - 6, y + 4, f"{tick:,}", "chart-tick-label", anchor="end"))
    for number, (day, value) in enumerate(points):
        x = left + number * slot + slot * 0.15
        if value:
            height = value * scale
            bar = rect(x, bottom - height, slot * 0.7, height, "chart-bar", BAR_COLOUR)
        else:
            bar = rect(x, bottom - 2, slot * 0.7, 2, "chart-bar chart-bar-empty", EMPTY_BAR_COLOUR)
        parts.append(group(f"{day.isoformat()}: {count_of(value, value_label)}", bar))
        if (len(points) - 1 - number) % LABEL_EVERY == 0:
            parts.append(text(x + slot * 0.35, bottom + 18, day_label(day), "chart-tick-label"))
    parts.append(line(left, bottom, right, bottom, "chart-axis", AXIS_COLOUR))  # the baseline
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def horizontal_bar_chart(title, items, *, description, value_label):
    """A chart of horizontal bars, one per item, top to bottom: `items` are (label, number) pairs.

    For a ranking, such as the busiest threads: the labels (thread titles)
    are long, and read best in a column on the left. Each bar has its number
    at its end. A label longer than LONGEST_LABEL characters is cut short; the
    row's tooltip has all of it. With no items the chart says so.
    """
    items = list(items)
    chart_id = new_chart_id(title)
    height = MARGIN_TOP + ROW_HEIGHT * max(len(items), 1) + 8
    left = LABEL_WIDTH + 8  # where the bars start
    longest_bar = WIDTH - left - 48  # room for the number after the longest bar
    largest = max((value for _, value in items), default=0) or 1
    middle = ROW_HEIGHT / 2 + 4  # the baseline of a row's text, from the row's top
    parts = [svg_start(chart_id, title, description, WIDTH, height, "chart chart-hbars")]
    parts.append(text(left, MARGIN_TOP - 10, value_label, "chart-axis-label", anchor="start"))
    if not items:
        parts.append(text(left, MARGIN_TOP + middle, "Nothing to show yet.", "chart-empty", anchor="start"))
    for number, (label, value) in enumerate(items):
        y = MARGIN_TOP + number * ROW_HEIGHT
        width = max(value / largest * longest_bar, 2)
        parts.append(group(
            f"{label}: {count_of(value, value_label)}",
            text(LABEL_WIDTH, y + middle, shorten(label), "chart-label", anchor="end"),
            rect(left, y + 4, width, ROW_HEIGHT - 8, "chart-bar", BAR_COLOUR),
            text(left + width + 6, y + middle, f"{value:,}", "chart-value", anchor="start"),
        ))
    parts.append(line(left, MARGIN_TOP, left, height - 8, "chart-axis", AXIS_COLOUR))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def dashboard_charts(board=None, *, now=None):
    """The dashboard's four charts, each with its numbers for the table under it.

    `board` is the slug chosen in the dashboard's form (request.args.get("board")):
    it limits the posts chart to that board. A value that is not a board's
    slug (nothing, "", a typo, something hostile) is ignored: the chart shows
    all boards, as if none had been chosen. A form with a stale or mistyped
    value is not worth an error page for a moderator, and the value never
    reaches the page or the SQL. `now` (an aware datetime) is for the tests.

    Returns, for the template mod/_charts.html:

        {"board": the slug in use, or None for all boards,
         "boards": [{"slug", "name"}, ...] for the form's <select>,
         "posts_per_day":   {"title", "caption", "svg", "rows": [DayCount(day, count), ...]},
         "busiest_threads": {"title", "caption", "svg",
                             "rows": [{"id", "title", "board", "posts", "last_post_at"}, ...]},
         "uploads_per_day": {"title", "caption", "svg", "rows": [DayUploads(day, count, bytes), ...]},
         "reports_per_day": {"title", "caption", "svg", "rows": [DayCount(day, count), ...]}}

    "title" is the chart's heading, "caption" its table's caption, "svg" the
    chart (Markup, ready to be put in the page as it is) and "rows" the numbers
    (see chatsite.activity), oldest day or busiest thread first.
    """
    now = now or datetime.now(timezone.utc)
    boards = {b["slug"]: b["name"] for b in current_app.config["BOARDS"]}
    if board not in boards:
        board = None
    posts = activity.posts_per_day(POSTS_DAYS, board, now.date())
    uploads = activity.uploads_per_day(UPLOADS_DAYS, now.date())
    reports = activity.reports_per_day(REPORTS_DAYS, now.date())
    threads = activity.busiest_threads(BUSIEST_DAYS, BUSIEST_LIMIT, now)
    upload_counts = [(day, count) for day, count, _ in uploads]  # the chart shows counts, not bytes

    posts_title = f"Posts per day on {boards[board]}" if board else "Posts per day, all boards"
    uploads_title = "Uploads per day"
    reports_title = "Reports per day"
    busiest_title = "Busiest threads this week"
    if threads:
        first = threads[0]
        busiest_description = (
            f"The {count_of(len(threads), 'threads')} with the most posts in the last {BUSIEST_DAYS} days; "
            f"busiest: \u201c{first['title']}\u201d with {count_of(first['posts'], 'posts')}."
        )
    else:
        busiest_description = f"No posts in the last {BUSIEST_DAYS} days."
    return {
        "board": board,
        "boards": [{"slug": slug, "name": name} for slug, name in boards.items()],
        "posts_per_day": {
            "title": posts_title,
            "caption": f"{posts_title}, the last {POSTS_DAYS} days (UTC)",
            "svg": bar_chart(
                posts_title, posts, description=describe_series(posts, "posts"), value_label="posts"
            ),
            "rows": posts,
        },
        "busiest_threads": {
            "title": busiest_title,
            "caption": f"The threads with the most posts in the last {BUSIEST_DAYS} days",
            "svg": horizontal_bar_chart(
                busiest_title,
                [(thread["title"], thread["posts"]) for thread in threads],
                description=busiest_description,
                value_label="posts",
            ),
            "rows": threads,
        },
        "uploads_per_day": {
            "title": uploads_title,
            "caption": f"{uploads_title}, the last {UPLOADS_DAYS} days (UTC)",
            "svg": bar_chart(
                uploads_title,
                upload_counts,
                description=describe_series(upload_counts, "uploads"),
                value_label="uploads",
            ),
            "rows": uploads,
        },
        "reports_per_day": {
            "title": reports_title,
            "caption": f"{reports_title}, the last {REPORTS_DAYS} days (UTC)",
            "svg": bar_chart(
                reports_title, reports, description=describe_series(reports, "reports"), value_label="reports"
            ),
            "rows": reports,
        },
    }


# --- the pieces ---------------------------------------------------------------------


def describe_series(points, noun):
    """One sentence about a day-by-day series, for its <desc>.

    "312 posts in the last 30 days; busiest day 2026-11-20 with 41." (the
    first of the busiest days, if several tie), or "No posts in the last 30 days."
    """
    points = list(points)
    total = sum(value for _, value in points)
    period = f"in the last {count_of(len(points), 'days')}"
    if not total:
        return f"No {noun} {period}."
    busiest_day, most = max(points, key=lambda point: point[1])
    return f"{count_of(total, noun)} {period}; busiest day {busiest_day.isoformat()} with {most:,}."


def round_ticks(largest):
    """The y axis's numbers: 0 and 2 to 4 more, evenly spaced by a round step
    (1, 2 or 5 times a power of ten), the last one at or above `largest`.

    round_ticks(41) == [0, 20, 40, 60]; round_ticks(0) == [0, 1, 2].
    """
    step = 1
    while math.ceil(largest / step) > 4:
        step = next_round_step(step)
    steps = max(math.ceil(largest / step), 2)
    return [step * n for n in range(steps + 1)]


def next_round_step(step):
    """The round number after `step`: 1, 2, 5, 10, 20, 50, 100..."""
    magnitude = 10 ** (len(str(step)) - 1)
    leading = step // magnitude
    return {1: 2, 2: 5}.get(leading, 10) * magnitude


def new_chart_id(title):
    """An id for a chart, unique in the page: "chart-posts-per-day-3".

    Only letters, digits and "-" from the title, so it is safe in any attribute.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:30].strip("-") or "chart"
    return f"chart-{slug}-{next(_chart_numbers)}"


# Each piece of SVG is a Markup template filled in with Markup.format(), which
# escapes every value put into it ("<" becomes "&lt;"...) unless the value is
# Markup already, like the pieces made here. Markup("").join() does the same.


def svg_start(chart_id, title, description, width, height, css_class):
    """The <svg> start tag and its <title> and <desc>, which name and describe the image."""
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" viewBox="0 0 {width} {height}" '
        'role="img" aria-labelledby="{id}-title {id}-desc" '
        'font-family="system-ui, sans-serif" font-size="12">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{description}</desc>'
    ).format(
        id=chart_id, title=title, description=description, width=width, height=height, css_class=css_class
    )


def group(tooltip, *shapes):
    """<g> around some shapes, with a <title>: the tooltip a browser shows over them."""
    return Markup("<g><title>{}</title>{}</g>").format(tooltip, Markup("").join(shapes))


def text(x, y, content, css_class, anchor="middle"):
    return Markup(
        '<text class="{}" x="{:.1f}" y="{:.1f}" fill="{}" text-anchor="{}">{}</text>'
    ).format(css_class, x, y, TEXT_COLOUR, anchor, content)


def rect(x, y, width, height, css_class, colour):
    return Markup(
        '<rect class="{}" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}"/>'
    ).format(css_class, x, y, width, height, colour)


def line(x1, y1, x2, y2, css_class, colour):
    return Markup(
        '<line class="{}" x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="{}" stroke-width="1"/>'
    ).format(css_class, x1, y1, x2, y2, colour)


def day_label(day):
    """A short label for a day under its bar: "Nov 20" (the same in any locale)."""
    return f"{MONTHS[day.month - 1]} {day.day}"


def shorten(label):
    """`label`, cut to LONGEST_LABEL characters with "…" if it is longer."""
    if len(label) <= LONGEST_LABEL:
        return label
    return label[: LONGEST_LABEL - 1].rstrip() + "\u2026"


def count_of(count, plural):
    """ "1 post", "2 posts": `plural` is the plural noun; the singular drops its "s"."""
    noun = plural[:-1] if count == 1 and plural.endswith("s") else plural
    return f"{count:,} {noun}"
