"""Exercise 05.3 · Whole words only: "art" no longer finds "start" or "party"."""

from forum import create_thread, page, thread_ids


def result_ids(response):
    """The threads a search page links to after its "N threads found"."""
    return thread_ids(page(response).links_after(r"\b\d+ threads? found\b"))


def test_a_word_finds_only_whole_words(client):
    """A search for "art" finds "art" and "art." but not "start" or "party".

    Hint: build one pattern per word, re.compile(rf"\\b{re.escape(word)}\\b"), and
    keep a thread when every pattern's .search() finds its word in the text.
    """
    modern = create_thread(client, title="Modern art")
    create_thread(client, title="Where to start", body="A party for beginners")
    dot = create_thread(client, title="Museums", body="I love art.")
    found = result_ids(client.get("/search?q=art"))
    assert found == [dot, modern], f"a search for art found threads {found}, not only {[dot, modern]}"


def test_still_any_case_and_any_text(client):
    """A search still ignores case (ART finds "art"), and "c++" or "(art" still answer 200.

    Hint: keep the .lower() on both sides, and re.escape() each word: + and ( are
    special in a regular expression.
    """
    modern = create_thread(client, title="Modern art")
    assert modern in result_ids(client.get("/search?q=ART")), "ART does not find 'Modern art'"
    for query in ("c++", "(art", "a*"):
        status = client.get("/search", query_string={"q": query}).status_code
        assert status == 200, f"a search for {query!r} answers {status}"
