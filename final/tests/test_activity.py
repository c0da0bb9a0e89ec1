"""The dashboard's numbers (chatsite.activity), on SQLite and on PostgreSQL.

The store stamps posts with the current time, so these tests write threads and
posts through the models, with the times they choose.
"""

import itertools
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from chatsite import activity
from chatsite.db import db
from chatsite.models import Image, Post, Thread

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)

_bump_orders = itertools.count(1)
_image_names = itertools.count(1)


def utc(*parts):
    return datetime(*parts, tzinfo=timezone.utc)


def add_thread(app, board="astronomy", title="A thread", posts=(), images=()):
    """A thread with a post at each time of `posts`, and a post with an image of
    each size of `images` ((time, size) pairs); returns the thread's id."""
    first = min([*posts, *(at for at, _ in images)], default=NOW)
    with app.app_context():
        thread = Thread(
            board=board, title=title, created_at=first, bumped_at=first,
            bump_order=next(_bump_orders), reply_count=0, post_count=0,
        )
        for at in posts:
            thread.posts.append(Post(body="hello", created_at=at))
        for at, size in images:
            image = Image(
                path=f"{board}/{next(_image_names)}.png", content_type="image/png", size=size,
                width=1, height=1, original_name="a.png",
            )
            thread.posts.append(Post(body="", created_at=at, image=image))
        db.session.add(thread)
        db.session.commit()
        return thread.id


def series(last_day, counts):
    """[(day, count), ...] for consecutive days ending `last_day`, oldest first."""
    first = last_day - timedelta(days=len(counts) - 1)
    return [(first + timedelta(days=n), count) for n, count in enumerate(counts)]


def test_an_empty_site_has_a_zero_for_every_day(app):
    with app.app_context():
        assert activity.posts_per_day(days=3, today=TODAY) == series(TODAY, [0, 0, 0])
        assert activity.uploads_per_day(days=2, today=TODAY) == [(date(2026, 11, 19), 0, 0), (TODAY, 0, 0)]
        assert activity.busiest_threads(now=NOW) == []


def test_posts_land_on_their_utc_day_and_empty_days_count_zero(app):
    add_thread(app, posts=[
        utc(2026, 11, 14, 0, 0, 0),     # the first day of the window
        utc(2026, 11, 13, 23, 59, 59),  # the day before: outside
        utc(2026, 11, 17, 23, 59, 59),  # the last second of a day...
        utc(2026, 11, 18, 0, 0, 0),     # ...and the first of the next
        utc(2026, 11, 18, 0, 0, 0, 1),
        utc(2026, 11, 20, 23, 59, 59, 999999),  # the last moment of today
        utc(2026, 11, 21, 0, 0, 0),     # tomorrow: outside
    ])
    with app.app_context():
        assert activity.posts_per_day(days=7, today=TODAY) == series(TODAY, [1, 0, 0, 1, 2, 0, 1])


def test_times_in_other_zones_count_on_their_utc_day(app):
    # 01:30 in Berlin (UTC+1) on the 20th is 00:30 UTC on the 20th; 20:00 in New York
    # (UTC-5) on the 19th is 01:00 UTC on the 20th.
    berlin = timezone(timedelta(hours=1))
    new_york = timezone(timedelta(hours=-5))
    add_thread(app, posts=[
        datetime(2026, 11, 20, 1, 30, tzinfo=berlin),
        datetime(2026, 11, 19, 20, tzinfo=new_york),
    ])
    with app.app_context():
        assert activity.posts_per_day(days=2, today=TODAY) == series(TODAY, [0, 2])


def test_days_are_utc_whatever_the_connections_time_zone(app):
    # PostgreSQL's own date of a timestamptz follows the connection's TimeZone:
    # at UTC+14 both posts would fall on the 20th and the 21st.
    add_thread(app, posts=[utc(2026, 11, 19, 23, 30), utc(2026, 11, 20, 0, 30)])
    with app.app_context():
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(text("SET TIME ZONE 'Pacific/Kiritimati'"))  # until the transaction ends
            assert db.session.scalar(text("SHOW TimeZone")) == "Pacific/Kiritimati"
        assert activity.posts_per_day(days=2, today=TODAY) == series(TODAY, [1, 1])


def test_a_board_counts_its_own_posts_only(app):
    add_thread(app, "chess", posts=[utc(2026, 11, 19, 10), utc(2026, 11, 20, 10), utc(2026, 11, 20, 11)])
    add_thread(app, "baking", posts=[utc(2026, 11, 18, 10), utc(2026, 11, 20, 9)])
    with app.app_context():
        assert activity.posts_per_day(days=3, board="chess", today=TODAY) == series(TODAY, [0, 1, 2])
        assert activity.posts_per_day(days=3, board="baking", today=TODAY) == series(TODAY, [1, 0, 1])
        assert activity.posts_per_day(days=3, today=TODAY) == series(TODAY, [1, 1, 3])
        assert activity.posts_per_day(days=3, board="no-such-board", today=TODAY) == series(TODAY, [0, 0, 0])


def test_uploads_count_images_and_their_bytes_by_their_posts_day(app):
    add_thread(app, posts=[utc(2026, 11, 19, 8)], images=[
        (utc(2026, 11, 18, 23, 59, 59), 1000),
        (utc(2026, 11, 20, 0, 0, 0), 250),
        (utc(2026, 11, 20, 18, 0, 0), 750),
        (utc(2026, 11, 17, 12, 0, 0), 99),  # before the window
    ])
    with app.app_context():
        assert activity.uploads_per_day(days=3, today=TODAY) == [
            (date(2026, 11, 18), 1, 1000),
            (date(2026, 11, 19), 0, 0),
            (date(2026, 11, 20), 2, 1000),
        ]


def test_the_default_window_ends_today_in_utc(app):
    today = datetime.now(timezone.utc).date()
    add_thread(app, posts=[datetime.now(timezone.utc)], images=[(datetime.now(timezone.utc), 10)])
    with app.app_context():
        posts = activity.posts_per_day()
        uploads = activity.uploads_per_day()
        busiest = activity.busiest_threads()
    assert len(posts) == len(uploads) == 30
    assert posts[-1] == (today, 2)
    assert uploads[-1] == (today, 1, 10)
    assert [thread["posts"] for thread in busiest] == [2]


def test_busiest_threads_most_posts_first_ties_by_newer_activity(app):
    quiet = add_thread(app, "chess", "Quiet", [utc(2026, 11, 19, 9)])
    early = add_thread(app, "chess", "Busy, last post early", [utc(2026, 11, 18, 9), utc(2026, 11, 19, 9)])
    late = add_thread(app, "film", "Busy, last post late", [utc(2026, 11, 17, 9), utc(2026, 11, 20, 9)])
    busiest = add_thread(app, "film", "Busiest", [utc(2026, 11, 16, h) for h in (1, 2, 3)])
    with app.app_context():
        threads = activity.busiest_threads(now=NOW)
    assert [(t["id"], t["title"], t["board"], t["posts"]) for t in threads] == [
        (busiest, "Busiest", "film", 3),
        (late, "Busy, last post late", "film", 2),
        (early, "Busy, last post early", "chess", 2),
        (quiet, "Quiet", "chess", 1),
    ]
    assert threads[1]["last_post_at"] == utc(2026, 11, 20, 9)


def test_busiest_threads_count_the_last_seven_days_only(app):
    # Long and old: 5 posts, only 1 of them inside the 7 days before NOW.
    long_ago = [utc(2026, 11, 1, hour) for hour in range(4)]
    old = add_thread(app, "history", "Old", [*long_ago, utc(2026, 11, 13, 12, 1)])
    new = add_thread(app, "history", "New", posts=[utc(2026, 11, 19), utc(2026, 11, 20, 11)])
    add_thread(app, "history", "Only outside", posts=[utc(2026, 11, 13, 12, 0), utc(2026, 11, 20, 12, 0, 1)])
    with app.app_context():
        threads = activity.busiest_threads(days=7, now=NOW)
        top_one = activity.busiest_threads(days=7, limit=1, now=NOW)
        a_month = activity.busiest_threads(days=30, now=NOW)
    assert [(t["id"], t["posts"]) for t in threads] == [(new, 2), (old, 1)]
    assert [t["id"] for t in top_one] == [new]
    assert [(t["id"], t["posts"]) for t in a_month][:2] == [(old, 5), (new, 2)]


@pytest.mark.parametrize("days", [1, 30])
def test_a_series_has_one_item_per_day(app, days):
    with app.app_context():
        days_seen = [day for day, _ in activity.posts_per_day(days=days, today=TODAY)]
    assert days_seen[0] == TODAY - timedelta(days=days - 1)
    assert days_seen[-1] == TODAY
    assert len(set(days_seen)) == days
