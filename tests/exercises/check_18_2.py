"""Exercise 18.2 · Spoilers, safely.

"[spoiler]text[/spoiler]", within one line, becomes
<span class="spoiler" tabindex="0">text</span>, which the stylesheet hides
until the reader points at it or taps it. What is inside is still escaped,
and its quote links and web links are still made. A tag without its partner,
an empty spoiler, or a spoiler over two lines stays as it was typed.
"""


from forum import create_thread, post_ids, quote_link, web_link
from helpers import shown

SPOILER = {"class": "spoiler", "tabindex": "0"}


def test_a_spoiler_is_a_span_the_stylesheet_hides(client):
    """"The butler [spoiler]did it[/spoiler]!" shows "did it" in <span class="spoiler" tabindex="0">.

    Hint: in formatting.py, cut each line at the tags [spoiler] and [/spoiler]
    (re.split with a group keeps them) and walk the pieces, the way a
    [spoiler] opens and the next [/spoiler] closes; the text between goes in
    the span. Then give static/style.css a rule for .spoiler (the same colour
    for the text and its background) and one for .spoiler:hover and
    .spoiler:focus that shows it.
    """
    thread_id = create_thread(client)
    got = shown(client, thread_id, "The butler [spoiler]did it[/spoiler]!")
    assert got["markup"] == [("span", SPOILER, "did it")], (
        f"the spoiler shows as {got['markup'] or 'no markup'}, not as "
        '<span class="spoiler" tabindex="0">did it</span>'
    )
    assert got["text"] == "The butler did it!", f"the post reads {got['text']!r}: the tags should be gone"
    stylesheet = client.get("/static/style.css").get_data(as_text=True)
    assert ".spoiler:hover" in stylesheet and ".spoiler:focus" in stylesheet, (
        "static/style.css has no rule for .spoiler:hover and .spoiler:focus: what shows the hidden text?"
    )


def test_inside_a_spoiler_the_text_is_escaped_and_linked(client):
    """Inside a spoiler, <b> is still text, and >>N and https://… are still links.

    Hint: make the spoilers on the escaped text, and run LINKS.sub() on the
    text inside a spoiler as on the text around it.
    """
    thread_id = create_thread(client)
    [op] = post_ids(client, thread_id)
    got = shown(client, thread_id, f"[spoiler]<b>Rosebud</b> >>{op} https://example.org/sled[/spoiler] ok?")
    inside = [quote_link(op, f"#post-{op}"), web_link("https://example.org/sled")]
    expected = [("span", SPOILER, f"<b>Rosebud</b> >>{op} https://example.org/sled"), *inside]
    assert got["markup"] == expected, f"the post's markup is {got['markup']}, expected {expected}"
    typed = f"<b>Rosebud</b> >>{op} https://example.org/sled ok?"
    assert got["text"] == typed, f"the post reads {got['text']!r}, not {typed!r}"


def test_still_a_tag_without_its_partner_stays_as_typed(client):
    """A [spoiler] with no end on its line, a stray [/spoiler], an empty one, one over two lines: as typed.

    Hint: a spoiler opens and closes on the same line; a tag left over goes
    back into the text as it was.
    """
    thread_id = create_thread(client)
    for body in (
        "[spoiler]no end",
        "a stray [/spoiler] here",
        "an empty [spoiler][/spoiler] one",
        "[spoiler]over\ntwo lines[/spoiler]",
    ):
        got = shown(client, thread_id, body)
        assert got["markup"] == [], f"{body!r} shows the markup {got['markup']}"
        assert got["text"] == " ".join(body.split()), f"{body!r} reads {got['text']!r}"
