"""A post's text as HTML: quote links, quoted lines and web links, and nothing else.

render_body() makes three things of what people type:

- ">>123" becomes a link to post 123, when post 123 exists (the caller says
  so: `quote_urls` has its address); otherwise it stays text;
- a line starting with ">" (other than ">>123") is shown as a quote;
- an http:// or https:// address becomes a link (rel="nofollow ugc noopener").

Escape first, then add markup. The whole body is escaped before anything else
happens (< is &lt;, > is &gt;, & is &amp;, " is &#34;, ' is &#39;): from then
on it is text and cannot hold a tag or close an attribute. Our own tags go
in afterwards, around pieces of that escaped text, with fixed attributes and
addresses that are escaped too. The other order, adding links and then
escaping "everything but our tags", means sorting the poster's HTML from ours
piece by piece: one mistake, a " inside an address, a > that closes a tag
early, and the poster's HTML is on the page. So the patterns below look for
the escaped forms: ">>" is "&gt;&gt;", and an address stops where "&lt;",
"&gt;", "&#34;" or "&#39;" begins, so no address can carry a quote into href="".

One compiled regular expression, one pass over each line, and no quantifier
inside another ((a+)+ is the shape that can backtrack exponentially): the
time grows with the length of the body, 10,000 ">>" in a row included.
"""

import re

from flask import url_for
from markupsafe import Markup, escape

# A post quotes at most this many posts (the first ones it names): the rows
# quoting.py writes in the quotes table, and so the links and backlinks.
MAX_QUOTES_PER_POST = 50

# In escaped text: a quote, ">>" and 1 to 18 digits not followed by another
# (no post id has more), or a web address: characters that are neither white
# space nor "&", or an escaped "&" (&amp;, as in ?a=1&b=2); any other "&"
# starts &lt; &gt; &#34; &#39; and ends it. Its last character is none of
# . , ; : ! ? ) so that "(see https://a.org)." keeps its bracket and full stop.
LINKS = re.compile(
    r"(?P<quote>&gt;&gt;(?P<post_id>[0-9]{1,18})(?![0-9]))"
    r"|(?P<url>https?://(?:[^\s&]|&amp;)*(?:[^\s&.,;:!?)]|&amp;))"
)
QUOTE_LINE = "&gt;"  # a line starting with ">", escaped

WEB_LINK_REL = "nofollow ugc noopener"


def render_body(body, quote_urls):
    """`body` as safe HTML (Markup). `quote_urls` is {post id: address} of the posts
    it may link to: {129: "#post-129", 57: "/threads/4#post-57"}. Line breaks
    stay "\\n" (the stylesheet's white-space: pre-wrap shows them)."""
    escaped = str(escape(body))  # 1. escape first
    lines = [render_line(line, quote_urls) for line in escaped.split("\n")]  # 2. then markup
    # Markup(): "this is HTML already". Safe here, and only here: the poster's
    # text was escaped above, and every tag in it is one render_line wrote.
    return Markup("\n".join(lines))  # noqa: S704


def render_line(line, quote_urls):
    """One escaped line with its links, in a quote span if it is a quoted line."""

    def link(found):
        if found["url"]:
            return f'<a href="{found["url"]}" rel="{WEB_LINK_REL}">{found["url"]}</a>'
        url = quote_urls.get(int(found["post_id"]))
        if url is None:
            return found[0]  # no such post (any more): the text as typed
        return f'<a class="quote-link" href="{escape(url)}">{found[0]}</a>'

    linked = LINKS.sub(link, line)
    # ">>123 I agree" answers a post; only another ">" starts a quoted line.
    first = LINKS.match(line)
    if line.startswith(QUOTE_LINE) and not (first and first["quote"]):
        return f'<span class="quote">{linked}</span>'
    return linked


def quoted_ids(body):
    """The ids `body` quotes (>>N), each once, in order, at most MAX_QUOTES_PER_POST:
    the same pattern on the same escaped text as render_body()."""
    ids = {}
    for found in LINKS.finditer(str(escape(body))):
        if found["quote"]:
            ids[int(found["post_id"])] = None
            if len(ids) == MAX_QUOTES_PER_POST:
                break
    return list(ids)


def quote_url(post_id, thread_id, here):
    """The address of post `post_id` of thread `thread_id`, from a page of thread
    `here`: its anchor on the same page, else its thread's address and anchor."""
    if thread_id == here:
        return f"#post-{post_id}"
    return url_for("boards.show_thread", thread_id=thread_id, _anchor=f"post-{post_id}")


def body_html(post):
    """A post's body as HTML, its quotes linked (quoting.with_quotes fills
    post.quotes: {quoted id: its thread id})."""
    quotes = post.quotes or {}
    urls = {quoted: quote_url(quoted, thread, post.thread_id) for quoted, thread in quotes.items()}
    return render_body(post.body, urls)


def backlinks(post):
    """[(id, address)] of the posts that quote this one, oldest first
    (quoting.with_quotes fills post.backlinks: [(quoting id, its thread id)])."""
    here = post.thread_id
    return [(quoting, quote_url(quoting, thread, here)) for quoting, thread in post.backlinks or []]


def init_app(app):
    """Let the templates call body_html(post) and backlinks(post)."""
    app.add_template_global(body_html)
    app.add_template_global(backlinks)
