"""Exercise 03.2 · A minimum length: titles shorter than 3 characters are refused."""

from forum import page, post_form


def start(client, title, body):
    fields = {"title": title, "body": body}
    return post_form(client, "/boards/astronomy", "/boards/astronomy/threads", fields)


def test_a_two_character_title_is_refused_with_a_message(client):
    """A title of 2 characters is refused (400) with a message that says "at least 3 characters".

    Hint: in check_title, after the test for an empty title, return a message
    such as f"Titles need at least {MIN_TITLE_LENGTH} characters." when
    len(title) is below MIN_TITLE_LENGTH = 3.
    """
    response = start(client, "Hi", "Too short a title")
    assert response.status_code == 400, f"a 2-character title got the answer {response.status_code}"
    shown = page(response)
    assert "at least 3 characters" in shown.text(), "the page does not say 'at least 3 characters'"
    form = shown.form_with("title")
    assert form.fields["title"].get("value") == "Hi", "the form lost the title that was typed"


def test_still_a_three_character_title_is_fine(client):
    """A title of exactly 3 characters ("Sun") is still accepted.

    Hint: "shorter than 3" is len(title) < 3, not <= 3.
    """
    response = start(client, "Sun", "Just long enough")
    assert response.status_code == 303, f"a 3-character title got the answer {response.status_code}"
