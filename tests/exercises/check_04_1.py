"""Exercise 04.1 · Reply count on the board: "1 post, 2 replies" instead of "3 posts"."""

from forum import create_thread, reply
from helpers import board_line


def test_a_thread_with_two_replies_says_1_post_2_replies(client):
    """On the board, a thread with its opening post and two replies says "1 post, 2 replies".

    Hint: each thread has a reply_count; its opening posts are
    thread.posts|length - thread.reply_count. Change the <span class="meta"> of
    board.html.
    """
    thread_id = create_thread(client, title="Busy one", body="Opening post")
    reply(client, thread_id, "First reply")
    reply(client, thread_id, "Second reply")
    line = board_line(client, thread_id)
    assert "1 post, 2 replies" in line, f'the board says "{line}"'


def test_a_thread_with_one_reply_says_1_reply(client):
    """On the board, a thread with one reply says "1 post, 1 reply": no "1 replies".

    Hint: {{ "y" if count == 1 else "ies" }} after "repl".
    """
    thread_id = create_thread(client, title="Quiet one", body="Opening post")
    reply(client, thread_id, "The only reply")
    line = board_line(client, thread_id)
    assert "1 post, 1 reply" in line and "1 replies" not in line, f'the board says "{line}"'
