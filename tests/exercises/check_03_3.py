"""Exercise 03.3 · See the double post (break it on purpose).

The check passes while create_thread answers with the thread page itself
instead of the 303 redirect, as the exercise asks you to try.
"""

from forum import page, post_form, thread_ids_on_board

BROKEN_ON_PURPOSE = True
FIELDS = {"title": "Only once, please", "body": "Press Reload on this page."}


def test_sending_the_form_again_posts_the_thread_twice(client, note):
    """The form is answered with the thread page (200), and sending it again, as Reload does, posts twice.

    Hint: in create_thread, replace the return redirect(...) line with
    return show_thread(thread["id"]).
    """
    first = post_form(client, "/boards/astronomy", "/boards/astronomy/threads", FIELDS)
    assert first.status_code == 200, (
        f"the form is still answered with {first.status_code} and Location: {first.headers.get('Location')}"
    )
    assert "Press Reload on this page." in page(first).text()
    # Reload on a page that answered a POST sends that same POST again.
    client.post("/boards/astronomy/threads", data=FIELDS)
    board = page(client.get("/boards/astronomy")).text()
    assert board.count(FIELDS["title"]) == 2
    note(
        f'the board lists "{FIELDS["title"]}" twice (threads {thread_ids_on_board(client)}): Reload sent '
        "the form again. After a 303, Reload only asks for the thread page again."
    )
