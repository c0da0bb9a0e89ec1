"""Exercise 07.1 · Crash it yourself: /boom shows the site's 500 page, and the log shows why.

The check passes while the /boom route is there; remove it when you have seen
both sides, as the exercise says.
"""

import logging

from forum import page
from helpers import captured_logs

BROKEN_ON_PURPOSE = True


def test_boom_answers_with_the_sites_own_500_page(client):
    """/boom answers 500 with the site's own error page: its status, its words, a way back.

    Hint: add a route: @app.get("/boom") above def boom(): return 1 / 0.
    """
    response = client.get("/boom")
    assert response.status_code == 500, f"/boom answers {response.status_code}: is there a route for it?"
    shown = page(response)
    assert shown.link(text="Back to all boards") is not None, "the 500 page is not the site's error page"
    assert "ZeroDivisionError" not in shown.text(), "the visitor sees the name of the error"


def test_the_log_holds_the_whole_traceback(app, client, note):
    """The log gets the error with its whole traceback, ending in ZeroDivisionError.

    Hint: nothing to write: show_server_error logs it with app.logger.exception().
    """
    with captured_logs(app, logging.ERROR) as records:
        client.get("/boom")
    logged = [record for record in records if record.exc_info and record.exc_info[0] is ZeroDivisionError]
    assert logged, "nothing in the log about a ZeroDivisionError: is there a /boom route that divides by 0?"
    note(
        f'the log says "{logged[0].getMessage()}", then the traceback down to the line of /boom and '
        '"ZeroDivisionError: division by zero"; the visitor only gets the calm 500 page'
    )
