"""Exercise 07.3 · Find broken links: every 404 is logged at INFO, with the page it came from."""

import logging

from helpers import captured_logs

REFERRER = "http://127.0.0.1:5000/boards/astronomy"


def info_records(app, client, address, headers=None):
    """The INFO records the app logs while it answers ``address``."""
    with captured_logs(app, logging.INFO) as records:
        status = client.get(address, headers=headers or {}).status_code
    assert status == 404, f"{address} answers {status}"
    return [record for record in records if record.levelno == logging.INFO]


def test_every_404_is_logged_with_its_address_and_referrer(app, client, note):
    """A 404 is logged at INFO with the address asked for and the page the visitor came from.

    Hint: in show_error_page, the handler every HTTP error goes through:
    if error.code == 404: app.logger.info("404 for %s (from %s)", request.path,
    request.referrer).
    """
    for address in ("/boards/no-such-board", "/no/page/here"):
        records = info_records(app, client, address, {"Referer": REFERRER})
        messages = [record.getMessage() for record in records]
        wanted = [message for message in messages if address in message and REFERRER in message]
        assert wanted, f"no INFO log line names both {address} and {REFERRER}: {messages}"
    note(f'the log says "{wanted[0]}"')


def test_a_404_without_a_referrer_is_logged_too(app, client):
    """A 404 with no page it came from (an address typed by hand) is logged too.

    Hint: request.referrer is None then: log it as it is, or as "no referrer".
    """
    records = info_records(app, client, "/threads/999")
    assert any("/threads/999" in record.getMessage() for record in records), "nothing logged for /threads/999"
