"""Exercise 05.2 · Highlight the word: the first search word is marked in each excerpt."""

from forum import create_thread, page


def test_the_first_search_word_is_marked_in_each_excerpt(client):
    """Each result's excerpt shows the first search word inside <mark>, as it is written in the post.

    Hint: split the excerpt at the word in Python (before, word, after: find its
    place with .lower().find()), pass the three pieces to search.html and print
    {{ before }}<mark>{{ word }}</mark>{{ after }}.
    """
    create_thread(client, title="Planets", body="Saturn's Rings are bright tonight")
    create_thread(client, title="Cakes", body="Onion rings, and Saturn cake")
    marked = [mark.text() for mark in page(client.get("/search?q=rings+saturn")).find_all("mark")]
    assert marked == ["rings", "Rings"], f"the words in <mark> are {marked}"


def test_still_what_visitors_typed_stays_text(client):
    """A <b> typed in a post still shows as the text <b>: it never turns into HTML.

    Hint: never |safe on the excerpt: let Jinja escape each of the three pieces.
    """
    create_thread(client, title="Markup", body="rings <b>bold</b> & <i>more</i>")
    shown = page(client.get("/search?q=rings"))
    assert not shown.find_all("b") and not shown.find_all("i"), "the post's <b> became a real tag"
    assert "<b>bold</b> & <i>more</i>" in shown.text()
