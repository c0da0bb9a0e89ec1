"""Exercise 07.2 · A more precise 404: a missing thread says which one."""

from forum import page


def test_a_missing_thread_says_its_number(client):
    """/threads/999 answers 404 with the words "There is no thread number 999."

    Hint: in find_thread_or_404, abort(404, description=f"There is no thread number
    {thread_id}."); in show_error_page, use error.description when it is not the
    class's own, type(error).description.
    """
    response = client.get("/threads/999")
    assert response.status_code == 404, f"/threads/999 answers {response.status_code}"
    text = page(response).text()
    assert "There is no thread number 999." in text, "the 404 page does not say which thread is missing"


def test_still_other_404s_say_the_general_sentence(client):
    """An unknown board, or an address with no page at all, still gets the general 404 sentence.

    Hint: only a description given to abort() wins; Werkzeug's own is the class's.
    """
    for address in ("/boards/no-such-board", "/no/page/here"):
        response = client.get(address)
        assert response.status_code == 404, f"{address} answers {response.status_code}"
        assert "There is no page at this address." in page(response).text(), f"{address} lost the sentence"
