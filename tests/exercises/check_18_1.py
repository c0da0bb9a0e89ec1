"""Exercise 18.1 · Break it on purpose: markup first.

The check passes while render_body() runs its rules on the raw text and
escapes nothing: then the page's example line gives *our* link an
onmouseover attribute, a <script> typed in a post is a script element of the
page and of the API's body_html, and >>N no longer links (the patterns look
for the escaped "&gt;&gt;"). What still holds is the second guard: the
Content-Security-Policy, which lets a browser run no inline script at all.
"""

import re

from forum import create_thread, post_body, post_ids, reply

BROKEN_ON_PURPOSE = True

# The line of the page's "Escape first, then add markup", with // at its end:
# the link rule leaves a ")" at the end of an address out of the link.
ATTRIBUTE_LINE = 'https://example.org/"onmouseover="alert(document.cookie)//'
SCRIPT = "<script>alert(document.cookie)</script>"


def posted(client, thread_id, body):
    """Reply with ``body``; return the reply's body element on the thread page."""
    answer = reply(client, thread_id, body)
    assert answer.status_code == 303, f"the reply got {answer.status_code}"
    post_id = int(re.search(r"#post-(\d+)$", answer.headers["Location"])[1])
    element = post_body(client.get(f"/threads/{thread_id}"), post_id)
    assert element is not None, f"post {post_id} shows no body"
    return element


def test_a_visitors_quote_now_gives_our_link_an_attribute(client, note):
    """The line https://example.org/"onmouseover="alert(document.cookie)// gives our link an onmouseover.

    Hint: in formatting.py, replace the first line of render_body(),
    text = str(escape(body)), with text = body: the rules then run on the raw
    text, and nothing escapes it.
    """
    thread_id = create_thread(client)
    body = posted(client, thread_id, ATTRIBUTE_LINE)
    links = [element for element in body.descendants() if element.tag == "a"]
    assert links, "the address made no link at all"
    assert links[0].get("onmouseover") == "alert(document.cookie)//", (
        f"the link has the attributes {links[0].attrs}, and no onmouseover=\"alert(document.cookie)//\": "
        "the visitor's \" did not close our href=\"…\", so the text was escaped before the link was made"
    )
    note('our <a> now has onmouseover="alert(document.cookie)//": a mouse over the link would run it')


def test_a_script_typed_in_a_post_is_now_part_of_the_page(client):
    """A post of <script>alert(document.cookie)</script> is a <script> element of the page.

    Hint: the same change: with text = body, the visitor's < and > reach the page as they are.
    """
    thread_id = create_thread(client)
    body = posted(client, thread_id, SCRIPT)
    tags = [element.tag for element in body.descendants()]
    assert "script" in tags, f"the post's body holds {tags or 'no element'}, not a <script>: it was escaped"


def test_the_apis_body_html_now_carries_the_script(client, note):
    """The API's body_html now hands the <script> to every program that shows it.

    Hint: the same change: api.py calls the same render_body().
    """
    thread_id = create_thread(client)
    reply(client, thread_id, SCRIPT)
    posts = client.get(f"/api/threads/{thread_id}/posts").get_json()["posts"]
    assert "<script>" in posts[-1]["body_html"], f"body_html is {posts[-1]['body_html']!r}: escaped"
    note("a program that puts body_html into its own page runs the script: our CSP does not travel with it")


def test_a_quote_link_is_now_plain_text(client, note):
    """>>N, for a post that exists, no longer becomes a link.

    Hint: the same change. The pattern looks for "&gt;&gt;", the escaped ">>":
    in the raw text there is none.
    """
    thread_id = create_thread(client)
    [op] = post_ids(client, thread_id)
    body = posted(client, thread_id, f">>{op} I agree")
    links = [element.attrs for element in body.descendants() if element.tag == "a"]
    assert not links, f">>{op} still became a link ({links}): the rules still see escaped text"
    note(f">>{op} is text now: LINKS looks for &gt;&gt;, written for the escaped text")


def test_still_the_content_security_policy_runs_no_inline_script(client, note):
    """The thread page still sends a Content-Security-Policy whose script-src has no 'unsafe-inline'.

    Hint: nothing to do: add_security_headers() in __init__.py sends it with every page.
    """
    thread_id = create_thread(client)
    reply(client, thread_id, SCRIPT)
    policy = client.get(f"/threads/{thread_id}").headers.get("Content-Security-Policy", "")
    rules = {rule.split()[0]: rule.split()[1:] for rule in policy.split(";") if rule.strip()}
    scripts = rules.get("script-src", rules.get("default-src"))
    assert scripts == ["'self'"], f"script-src is {scripts}: a browser might run an inline script"
    note("script-src 'self': a browser runs neither the <script> nor onmouseover=, the second guard held")
