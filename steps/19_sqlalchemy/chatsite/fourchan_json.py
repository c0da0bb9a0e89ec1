"""4chan's numbers, and posts in 4chan's shapes, for the fourchan blueprint (fourchan.py).

On 4chan a thread's number is its opening post's number. Here threads and
posts have ids of their own, and a thread can have a title only, with no
opening post. So:

- a post's `no` is its id, the number its page shows (#12);
- a thread's `no` is its opening post's id; a title-only thread gets a number
  no post can ever have, TITLE_ONLY + its id, and a stand-in opening post that
  carries its title;
- an image's `tim` is its post's id: unique, and it never changes.

Text is HTML here, escaped like the pages escape it: 4chan clients put `com`
into their pages as it is, so it must never hold a visitor's raw HTML.
"""

import re
import unicodedata
from pathlib import PurePosixPath

from flask import current_app
from markupsafe import escape

from .fourchan_data import thread_of_post, thread_with_first_post
from .reading import THREADS_PER_PAGE

# Post and thread ids go up to 2**31 - 1 (PostgreSQL's INTEGER, see IdConverter).
# A title-only thread's number is above every post id: TITLE_ONLY + its thread id.
MAX_ID = 2**31 - 1
TITLE_ONLY = 2**31
# Images stored before the site made thumbnails (migration 0006) are their own
# thumbnail, shown at most this many pixels on a side, as on 4chan: the opening
# post's larger than the replies'. The others have a real one (THUMBNAIL_SIZE).
OPENING_POST_THUMBNAIL = 250
REPLY_THUMBNAIL = 125
# What 4chan calls the poster when they give no name. We never ask for one.
ANONYMOUS = "Anonymous"
# 4chan's `now` names the day in English whatever the server's language is.
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


# --- Numbers ------------------------------------------------------------------------------


def parse_number(text):
    """The 4chan number `text` spells (1 to TITLE_ONLY + MAX_ID), else None.

    Checked before int(): an address may hold thousands of digits, and int() of
    more than 4,300 digits raises an error (which would be a 500)."""
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    number = int(text)
    return number if 1 <= number <= TITLE_ONLY + MAX_ID else None


def thread_number(summary):
    """A thread's `no`: its opening post's id, or TITLE_ONLY + its id if it has none."""
    thread = summary.thread
    if thread.has_opening_post:
        return summary.first_post_id
    return TITLE_ONLY + thread.id


def find_thread(number):
    """(thread, its first post's id) for a thread's `no`, or None if no thread has it.
    A reply's number is not a thread's number (404, as on 4chan)."""
    if number is None:
        return None
    if number >= TITLE_ONLY:
        found = thread_with_first_post(number - TITLE_ONLY)
        return found if found and not found[0].has_opening_post else None
    thread_id = thread_of_post(number)
    found = thread_with_first_post(thread_id) if thread_id else None
    return found if found and found[0].has_opening_post and found[1] == number else None


# --- Posts as 4chan shows them -----------------------------------------------------------


def opening_post_json(summary, number):
    """A thread's opening post, with what 4chan tells about the whole thread.
    A title-only thread gets a stand-in: the title, the time it was started."""
    thread = summary.thread
    opening_post = summary.opening_post
    if opening_post is not None:
        fields = post_json(opening_post, 0, OPENING_POST_THUMBNAIL)
    else:
        fields = poster(number, 0, thread.created_at)
    config = current_app.config
    fields.update(
        {
            "sub": str(escape(thread.title)),
            "replies": thread.reply_count,
            "images": summary.image_replies,
            # A pinned thread is what 4chan calls a sticky; a locked one, closed
            # (like a thread at its reply limit: neither takes replies).
            "sticky": int(thread.pinned),
            "closed": int(thread.locked or thread.reply_count >= config["REPLY_LIMIT"]),
            "bumplimit": int(thread.reply_count >= config["BUMP_LIMIT"]),
            "imagelimit": int(summary.image_replies >= config["REPLY_LIMIT"]),
            "semantic_url": semantic_url(thread.title),
        }
    )
    return fields


def post_json(post, resto, thumbnail_box):
    """A post as 4chan shows it. `resto`: the thread's number, 0 for an opening post."""
    fields = poster(post.id, resto, post.created_at)
    if post.body:
        fields["com"] = comment_html(post.body)
    image = post.image
    if image is not None:
        name = PurePosixPath(image.original_name)
        fields["tim"] = post.id
        fields["ext"] = PurePosixPath(image.path).suffix
        fields["filename"] = str(escape(name.stem if name.suffix else name.name))
        fields["fsize"] = image.size
        fields.update(dimensions(image, thumbnail_box))
        if image.md5:  # None for images stored before migration 0003
            fields["md5"] = image.md5
    return fields


def poster(number, resto, moment):
    """The fields every post has."""
    return {
        "no": number,
        "resto": resto,
        "time": unix_time(moment),
        "now": fourchan_date(moment),
        "name": ANONYMOUS,
    }


def comment_html(body):
    """A post's text as HTML: escaped as the pages escape it (Jinja uses the same
    markupsafe.escape), with each line break a <br>, as on 4chan."""
    return str(escape(body)).replace("\n", "<br>")


def dimensions(image, thumbnail_box):
    """w, h, tn_w and tn_h of a post's file. 4chan's API has them for every file,
    "any integer": a video (no size known, no thumbnail) gets 0 for each."""
    if image.width is None:
        return {"w": 0, "h": 0, "tn_w": 0, "tn_h": 0}
    if image.thumbnail_path:
        tn_w, tn_h = image.thumbnail_width, image.thumbnail_height
    else:  # stored before migration 0006: shown scaled down
        tn_w, tn_h = thumbnail_size(image.width, image.height, thumbnail_box)
    return {"w": image.width, "h": image.height, "tn_w": tn_w, "tn_h": tn_h}


def thumbnail_size(width, height, box):
    """The image's size scaled down, never up, to fit in a box x box square."""
    scale = min(1, box / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def semantic_url(title):
    """4chan's "SEO" slug of a title: lower-case ASCII words joined by hyphens,
    at most 50 characters ("Saturn's rings tonight!" -> "saturns-rings-tonight")."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_title.lower().replace("'", ""))
    if not words:
        return ""
    slug = words[0][:50]
    for word in words[1:]:
        if len(slug) + 1 + len(word) > 50:
            break
        slug += "-" + word
    return slug


def by_page(entries):
    """4chan's list of pages: [{"page": 1, "threads": [...]}, ...], as many threads
    a page as a board page shows here. Page 1 is there even for an empty board."""
    starts = range(0, max(len(entries), 1), THREADS_PER_PAGE)
    return [
        {"page": number, "threads": entries[start : start + THREADS_PER_PAGE]}
        for number, start in enumerate(starts, start=1)
    ]


def unix_time(moment):
    """A time as 4chan's `time`: whole seconds since 1970 (UTC)."""
    return int(moment.timestamp())


def fourchan_date(moment):
    """A time as 4chan's `now`: "MM/DD/YY(Day)HH:MM:SS". 4chan writes New York time;
    this site writes UTC everywhere, so this does too (`time` is the same moment)."""
    return f"{moment:%m/%d/%y}({DAYS[moment.weekday()]}){moment:%H:%M:%S}"
