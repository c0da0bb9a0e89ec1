"""Exercise 20.1 · "Something else" needs details: a validator of your own on the report form."""

from forum import alert_text, create_thread, page, post_ids, staff_client
from staff import open_report_ids, report, text_of

MESSAGE = "Please say what is wrong, under Details."


def a_post(app):
    """A visitor's browser, and the id of a post in a new thread."""
    visitor = app.test_client()
    thread_id = create_thread(visitor, title="Reported", body="Buy watches cheap")
    return visitor, post_ids(visitor, thread_id)[0]


def checked_reason(response):
    """The value of the reason the report form shows as chosen, or None."""
    radios = page(response).find_all("input", name="reason")
    return next((radio.get("value") for radio in radios if "checked" in radio.attrs), None)


def report_count(app):
    return len(open_report_ids(staff_client(app, "milo")))


def test_something_else_without_details_is_refused(app, note):
    """A report for "Something else" with no details: 400, the message, and "Something else" still chosen.

    Hint: give ReportForm in forms.py a method validate_details(self, field):
    WTForms calls a method named validate_<field name> after the field's own
    validators. Raise ValidationError("Please say what is wrong, under Details.")
    when self.reason.data is "other" and field.data is empty.
    """
    visitor, post_id = a_post(app)
    answer = report(visitor, post_id, reason="other", details="")
    assert (answer.status_code, alert_text(answer)) == (400, MESSAGE), (
        f"a report for Something else without details got {answer.status_code}, "
        f"saying {alert_text(answer)!r}, not 400 saying {MESSAGE!r}"
    )
    assert checked_reason(answer) == "other", "the form came back without Something else chosen"
    assert report_count(app) == 0, "the report was stored all the same"
    note(f"the form says: {alert_text(answer)}")


def test_details_of_spaces_alone_are_no_details(app):
    """Details of spaces, line breaks and a zero-width space count as none: refused the same way.

    Hint: the details' filter (clean_details) runs before any validator, and
    makes text that shows nothing "": check field.data after it, not request.form.
    """
    visitor, post_id = a_post(app)
    answer = report(visitor, post_id, reason="other", details="  \r\n \u200b ")
    assert (answer.status_code, alert_text(answer)) == (400, MESSAGE), (
        f"details of blank characters alone got {answer.status_code}, saying {alert_text(answer)!r}"
    )


def test_still_something_else_with_details_is_sent(app):
    """A report for "Something else" with details is sent, and the moderators read the details."""
    visitor, post_id = a_post(app)
    answer = report(visitor, post_id, reason="other", details="It copies post 3 word for word.")
    assert answer.status_code == 303, f"the report got {answer.status_code}: {alert_text(answer)!r}"
    queue = text_of(staff_client(app, "milo").get("/mod/reports"))
    assert "It copies post 3 word for word." in queue, "the report queue does not show the details"


def test_still_the_other_reasons_need_no_details(app):
    """A report for spam, off-topic or illegal content needs no details."""
    visitor = app.test_client()
    reasons = ("spam", "off-topic", "illegal")
    answers = {}
    for reason in reasons:
        # A post for each: a visitor reports a post once while the report is open.
        [post_id] = post_ids(visitor, create_thread(visitor, title=f"Reported for {reason}"))
        answers[reason] = report(visitor, post_id, reason=reason).status_code
    assert answers == dict.fromkeys(reasons, 303), f"reports without details got {answers}"


def test_still_too_long_details_get_their_own_message(app):
    """Details over 500 characters are still refused with "Details can be at most 500 characters long."."""
    visitor, post_id = a_post(app)
    answer = report(visitor, post_id, reason="other", details="x" * 501)
    assert (answer.status_code, alert_text(answer)) == (400, "Details can be at most 500 characters long.")
