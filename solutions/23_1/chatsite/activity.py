"""How busy the site is: posts, uploads and reports per day, and the busiest threads.

The moderators' dashboard draws these numbers (see charts.py). Each function
is one SELECT with one GROUP BY: the database counts the rows it already has
to read anyway and hands back one row per day (or per thread), however many
posts there are. Asking once per day instead would be 30 round trips for a
30-day chart. Days without any posts have no row at all, so Python fills them
in with 0 afterwards, which is cheap: it is at most `days` items.

Days are UTC days, on both databases, for the whole site:

- the site has one set of moderators in many time zones, and a "day" must
  mean the same posts for all of them (and for the tests);
- the times are stored in UTC (models.UTCDateTime). SQLite keeps them as
  naive text ("2026-11-20 23:59:59.000000"), so its date() reads the UTC
  date straight off the text. PostgreSQL keeps a timestamptz, and its
  date would follow the connection's TimeZone setting (whatever the server's
  postgresql.conf says), so we ask for the UTC wall-clock time first:
  timezone('UTC', created_at).
"""

from collections import namedtuple
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import Date, cast, func, literal_column, select

from .db import db, on_postgresql
from .models import Image, Post, Report, Thread

# One day of a series. They are tuples: DayCount(day, 3) == (day, 3).
DayCount = namedtuple("DayCount", "day count")
DayUploads = namedtuple("DayUploads", "day count bytes")


def posts_per_day(days=30, board=None, today=None):
    """How many posts were written on each of the last `days` days, ending today (UTC).

    Returns [DayCount(day, count), ...], oldest day first, one item per day:
    a day without posts counts 0. `board` (a slug) counts that board's posts
    only; `today` (a date) is for the tests, the default is today in UTC.
    """
    first_day, today = _day_range(days, today)
    day = utc_day(Post.created_at)
    query = select(day, func.count(Post.id)).where(*_within_days(Post.created_at, first_day, today))
    if board is not None:
        query = query.join(Thread, Post.thread_id == Thread.id).where(Thread.board == board)
    counts = dict(db.session.execute(query.group_by(day)).all())
    return [DayCount(day, counts.get(day, 0)) for day in _each_day(first_day, today)]


def uploads_per_day(days=30, today=None):
    """How many images were uploaded on each of the last `days` days, and how many bytes.

    Returns [DayUploads(day, count, bytes), ...], oldest day first, zeros for
    days without uploads. An image has no time of its own: it was uploaded
    with its post, so the post's time counts.
    """
    first_day, today = _day_range(days, today)
    day = utc_day(Post.created_at)
    query = (
        select(day, func.count(Image.id), func.coalesce(func.sum(Image.size), 0))
        .join(Post, Image.post_id == Post.id)
        .where(*_within_days(Post.created_at, first_day, today))
        .group_by(day)
    )
    totals = {day: (count, size) for day, count, size in db.session.execute(query)}
    return [DayUploads(day, *totals.get(day, (0, 0))) for day in _each_day(first_day, today)]


def reports_per_day(days=30, today=None):
    """How many reports visitors sent on each of the last `days` days, ending today (UTC).

    Returns [DayCount(day, count), ...], oldest day first, zeros for days
    without reports. A dismissed report still counts: it was sent that day. A
    report goes with its post (ON DELETE CASCADE), so the reports of a deleted
    post no longer count.
    """
    first_day, today = _day_range(days, today)
    day = utc_day(Report.created_at)
    query = select(day, func.count(Report.id)).where(*_within_days(Report.created_at, first_day, today))
    counts = dict(db.session.execute(query.group_by(day)).all())
    return [DayCount(day, counts.get(day, 0)) for day in _each_day(first_day, today)]


def busiest_threads(days=7, limit=10, now=None):
    """The `limit` threads with the most posts in the last `days` days (counted back from `now`).

    Returns a list of dictionaries {"id", "title", "board", "posts",
    "last_post_at"}: the most posts first; between threads with as many
    posts, the one with the newer last post first (then the newer thread).
    Only posts inside the window count, so an old, long thread that has gone
    quiet does not crowd out this week's busy ones.
    """
    now = now or datetime.now(timezone.utc)
    posts = func.count(Post.id).label("posts")
    last_post_at = func.max(Post.created_at).label("last_post_at")
    query = (
        select(Thread.id, Thread.title, Thread.board, posts, last_post_at)
        .join(Post, Post.thread_id == Thread.id)
        .where(Post.created_at > now - timedelta(days=days), Post.created_at <= now)
        .group_by(Thread.id, Thread.title, Thread.board)
        .order_by(posts.desc(), last_post_at.desc(), Thread.id.desc())
        .limit(limit)
    )
    return [dict(row) for row in db.session.execute(query).mappings()]


def utc_day(column):
    """The UTC date of a time column, as an SQL expression that gives a date on both databases.

    PostgreSQL: timezone('UTC', t) is the time as a UTC wall clock would show
    it, and its date is the UTC date, whatever the connection's TimeZone.
    ('UTC' is written into the SQL rather than sent as a parameter: the same
    expression appears in SELECT and GROUP BY, and PostgreSQL only sees that
    they are the same when they are written the same.)
    SQLite: the stored text is already UTC, and date() cuts the day off it
    ("YYYY-MM-DD"); type_=Date makes SQLAlchemy hand it back as a date.
    """
    if on_postgresql():
        return cast(func.timezone(literal_column("'UTC'"), column), Date)
    return func.date(column, type_=Date)


def _day_range(days, today):
    """The first and the last day of a series of `days` days ending `today` (default: today, UTC)."""
    today = today or datetime.now(timezone.utc).date()
    return today - timedelta(days=days - 1), today


def _within_days(column, first_day, last_day):
    """WHERE conditions: `column` falls on one of the days first_day to last_day (UTC), both included.

    A range on the column itself, not a condition on its date, so the
    database compares stored values as they are.
    """
    start = datetime.combine(first_day, time.min, tzinfo=timezone.utc)
    end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=timezone.utc)
    return column >= start, column < end


def _each_day(first_day, last_day):
    """Every date from first_day to last_day, both included."""
    return [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
