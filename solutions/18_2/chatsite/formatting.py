"""Step 18: a post's text as HTML, with quote links, quote lines and web links.

People type plain text. This module turns it into a little HTML:

- ">>123" becomes a link to post 123, but only if post 123 exists (the store
  says so, with `quote_urls`); otherwise it stays plain text;
- a line that starts with ">" (and not with ">>123") is shown as a quote;
- "http://..." and "https://..." become links;
- "[spoiler]...[/spoiler]" hides its text until the reader points at it or
  taps it (exercise 18.2).

Nothing else. Whatever else someone types, "<b>", "<script>", an onclick="",
a "javascript:" address, is shown as the characters they typed, never as HTML.

The one rule that makes this safe: ESCAPE FIRST, THEN ADD MARKUP.

1. escape() turns every character that means something in HTML into its
   harmless spelling: < becomes &lt;  > becomes &gt;  & becomes &amp;
   " becomes &#34;  ' becomes &#39;. After this, the text cannot contain a
   tag or leave an attribute's quotes: it is only text.
2. Then we add our own few tags around pieces of that escaped text. Every tag
   in the result was written by this module, with fixed class names, and
   addresses that were already escaped.

Why not the other way round, add the links first and escape afterwards?
Escaping would then destroy our own <a> tags too. So we would have to escape
"everything but our tags": pick the text apart, decide piece by piece what is
safe, and one mistake (a " inside an address, a > that closes a tag early) lets
the poster's HTML through. That is how most "formatting" bugs in forums turn
into attacks. Escaped first, the text has no HTML left in it to get wrong.

The patterns below therefore look for the *escaped* forms: ">>" is "&gt;&gt;"
by the time they see it, and an address ends where "&lt;", "&gt;", "&#34;" or
"&#39;" begins (the poster's < > " and '), so no address can carry a quote
into our href="...".

One compiled regular expression does all the searching, in one pass over each
line. It has no quantifier inside another one (like (a+)+), the kind that can
make a regular expression try exponentially many ways on a hostile text
("catastrophic backtracking"), so the time grows in step with the length of
the post: 10,000 ">>" in a row take a few milliseconds.
"""

import re

from markupsafe import Markup, escape

# Step 18: a post links to at most this many other posts (the first ones it
# names). store.py stores that many rows in the quotes table, no more.
MAX_QUOTES_PER_POST = 50

# The two things a line can contain that become links, in escaped text:
#
# - a quote: ">>" and 1 to 18 digits ("&gt;&gt;123"), not followed by another
#   digit. 18 digits are enough for any post id (they are below 2**63), and a
#   longer number is no post at all, so it is left as text.
# - a web address: "http://" or "https://", then characters that are neither
#   white space nor "&", or an escaped "&" ("&amp;", as in ?a=1&b=2). Any other
#   "&" starts &lt; &gt; &#34; or &#39;: the address ends there. Its last
#   character may not be one of . , ; : ! ? ) so that "see https://a.org." or
#   "(https://a.org)" do not take the full stop or the bracket into the link.
LINKS = re.compile(
    r"(?P<quote>&gt;&gt;(?P<post_id>[0-9]{1,18})(?![0-9]))"
    r"|(?P<url>https?://(?:[^\s&]|&amp;)*(?:[^\s&.,;:!?)]|&amp;))"
)

# A line that starts with ">" is a quote line (in escaped text, "&gt;").
QUOTE_LINE_START = "&gt;"

# Exercise 18.2: the two spoiler tags. Escaping leaves them as they are (no
# < > & " ' in them), so they are searched for in the escaped text too.
SPOILER_TAGS = re.compile(r"(\[spoiler\]|\[/spoiler\])")
SPOILER_START = '<span class="spoiler" tabindex="0">'


def render_body(body, quote_urls):
    """The post's text `body` as safe HTML (a Markup, which Jinja inserts as it is).

    `quote_urls` maps the id of each post this post may link to, to the
    address of that post: {129: "#post-129", 57: "/threads/4#post-57"}. A ">>N"
    whose N is not in it (the post does not exist, or was deleted) stays text.

    Line breaks stay "\\n": the stylesheet's white-space: pre-wrap shows them.
    """
    # 1. Escape first: from here on the text holds no HTML of the poster's.
    text = str(escape(body))
    # 2. Then add our markup, line by line (a quote line ends at its line break).
    lines = [render_line(line, quote_urls) for line in text.split("\n")]
    # Markup() says "this is HTML already, do not escape it again". Wrapping a
    # variable in it is how HTML injection usually happens, and the linter
    # (ruff's rule S704) warns about this very line. Here it is what we mean:
    # the poster's text was escaped in step 1, and every tag was added by us.
    return Markup("\n".join(lines))  # noqa: S704


def render_line(line, quote_urls):
    """One line of escaped text with its links added, wrapped in a quote span
    if it is a quote line."""

    def link(match):
        # Called by LINKS.sub() for each quote or address found in the line;
        # what it returns replaces the text it found.
        if match["url"]:
            # The escaped address is safe inside href="...": it has no " < > in it.
            url = match["url"]
            return f'<a href="{url}" rel="nofollow ugc noopener">{url}</a>'
        post_id = int(match["post_id"])
        if post_id not in quote_urls:
            return match[0]  # no such post (any more): the text as it was typed
        # The address comes from the store, not from the poster; escaped anyway,
        # so that no address could ever end the href="..." early.
        return f'<a class="quote-link" href="{escape(quote_urls[post_id])}">{match[0]}</a>'

    linked = "".join(
        SPOILER_START + LINKS.sub(link, piece) + "</span>" if hidden else LINKS.sub(link, piece)
        for piece, hidden in spoiler_pieces(line)
    )
    # ">>123 I agree" is an answer to a post, not a quote: only a ">" that is
    # not the start of a quote link makes a quote line (">> hi", "> a", ">>>>1").
    # (LINKS.match() looks only at the very start of the line.)
    first = LINKS.match(line)
    answers_a_post = first is not None and first["quote"] is not None
    if line.startswith(QUOTE_LINE_START) and not answers_a_post:
        return f'<span class="quote">{linked}</span>'
    return linked


def spoiler_pieces(line):
    """Cut one line of escaped text into (text, hidden) pieces: hidden is True
    for the text between a [spoiler] and the next [/spoiler].

    Not one bigger regular expression but a walk over the tags, left to
    right: it sees each character once, whatever the text (linear), and it
    decides plainly what a regular expression would hide: a [spoiler] with no
    [/spoiler] after it on its line, a [/spoiler] with nothing open, and a
    [spoiler] inside a spoiler stay as they were typed. The links are made
    inside each piece (render_line), so an address never runs through a tag.
    """
    pieces = []  # (text, hidden), in order
    plain = []  # the text since the last spoiler, shown as it is
    hidden = None  # the text of the open spoiler, or None if none is open
    for part in SPOILER_TAGS.split(line):
        if hidden is None:
            if part == "[spoiler]":
                hidden = []
            else:
                plain.append(part)  # text, or a [/spoiler] with nothing open
        elif part == "[/spoiler]":
            if "".join(hidden):
                pieces += [("".join(plain), False), ("".join(hidden), True)]
                plain = []
            else:
                plain.append("[spoiler][/spoiler]")  # an empty spoiler hides nothing
            hidden = None
        else:
            hidden.append(part)  # text, or a [spoiler] inside the spoiler
    if hidden is not None:
        # No [/spoiler] on this line: the [spoiler] was text after all.
        plain += ["[spoiler]", *hidden]
    pieces.append(("".join(plain), False))
    return [(text, is_hidden) for text, is_hidden in pieces if text]


def quoted_ids(body):
    """The post ids that `body` quotes (">>N"), each once, in the order they
    first appear, at most MAX_QUOTES_PER_POST of them.

    It searches the same escaped text with the same pattern as render_body(),
    so what is stored as a quote is exactly what can be shown as a link.
    """
    ids = []
    for match in LINKS.finditer(str(escape(body))):
        if match["quote"]:
            post_id = int(match["post_id"])
            if post_id not in ids:
                ids.append(post_id)
                if len(ids) == MAX_QUOTES_PER_POST:
                    break
    return ids


def init_app(app):
    """Let every template call render_body(post.body, post.quote_urls)."""
    app.add_template_global(render_body)
