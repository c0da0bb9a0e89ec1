"""Step 05: search threads by title and posts, from a box on every page."""

import pytest
from forum import create_thread, page, reply, thread_ids

pytestmark = pytest.mark.since("05")


def result_ids(response):
    """The threads a search page links to after its "N threads found" (none without it)."""
    return thread_ids(page(response).links_after(r"\b\d+ threads? found\b"))


def test_every_page_has_a_search_box(client):
    for url in ("/", "/boards/astronomy"):
        form = page(client.get(url)).form_with("q")
        assert form is not None
        assert (form.action, form.method) == ("/search", "get")


def test_search_ignores_case_in_every_alphabet_not_only_a_to_z(client):
    wanted = create_thread(client, title="Une étoile filante", body="Über den Wolken")
    create_thread(client, title="Something else")
    assert result_ids(client.get("/search?q=ÉTOILE")) == [wanted]
    assert result_ids(client.get("/search?q=über")) == [wanted]


def test_search_finds_words_in_titles(client):
    wanted = create_thread(client, title="Best telescope for beginners")
    create_thread(client, title="Knitting socks", board="knitting")
    response = client.get("/search?q=telescope")
    assert response.status_code == 200
    assert result_ids(response) == [wanted]


def test_search_finds_words_in_replies_across_boards(client):
    chess = create_thread(client, title="Openings", board="chess")
    reply(client, chess, "The Sicilian defence is sharp")
    stars = create_thread(client, title="Stars", body="Sicilian skies are dark")
    assert sorted(result_ids(client.get("/search?q=sicilian"))) == sorted([chess, stars])


def test_search_ignores_case_and_needs_every_word(client):
    both = create_thread(client, title="Saturn rings", body="Seen through a TELESCOPE")
    create_thread(client, title="Saturn only")
    assert result_ids(client.get("/search?q=telescope+saturn")) == [both]


def test_results_show_board_title_and_excerpt(client):
    create_thread(client, title="Comet tonight", body="Look north-east after midnight for the comet")
    # The text a reader sees, so that <mark>midnight</mark> (exercise 05.2) still counts.
    text = page(client.get("/search?q=midnight")).text()
    assert "Astronomy" in text
    assert "Comet tonight" in text
    assert "after midnight" in text


def test_results_are_newest_activity_first(client):
    older = create_thread(client, title="Moon photo one")
    newer = create_thread(client, title="Moon photo two")
    assert result_ids(client.get("/search?q=moon")) == [newer, older]
    reply(client, older, "bump")
    assert result_ids(client.get("/search?q=moon")) == [older, newer]


@pytest.mark.parametrize("query", ["", "   "])
def test_empty_search_shows_the_form_without_results(client, query):
    create_thread(client, title="Anything")
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200
    assert page(response).form_with("q") is not None
    assert result_ids(response) == []


def test_search_with_no_match_says_so(client):
    create_thread(client, title="Anything")
    html = client.get("/search?q=zebra").get_data(as_text=True)
    assert "0 threads found" in html


def test_query_of_200_characters_is_fine_but_201_is_refused(client):
    assert client.get("/search", query_string={"q": "a" * 200}).status_code == 200
    response = client.get("/search", query_string={"q": "a" * 201})
    assert response.status_code == 400
    assert "at most 200 characters" in response.get_data(as_text=True)


def test_search_text_is_escaped(client):
    html = client.get("/search", query_string={"q": "<script>x</script>"}).get_data(as_text=True)
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html


def test_results_come_50_a_page_with_links_between_the_pages(client):
    ids = [create_thread(client, title=f"Moon {n}") for n in range(51)]
    first = client.get("/search?q=moon")
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert "51 threads found" in html
    assert result_ids(first) == ids[::-1][:50]
    assert "/search?q=moon&page=2" in page(html).hrefs()
    second = client.get("/search?q=moon&page=2")
    assert result_ids(second) == [ids[0]]
    html = second.get_data(as_text=True)
    assert "51 threads found" in html
    assert "/search?q=moon" in page(html).hrefs()  # back to page 1, without ?page=1
    assert client.get("/search?q=moon&page=3").status_code == 404


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "", "\u0663", "9" * 10, "9" * 5000])
def test_a_search_page_that_is_not_a_page_number_is_404(client, page):
    create_thread(client, title="Moon")
    assert client.get("/search", query_string={"q": "moon", "page": "1"}).status_code == 200
    assert client.get("/search", query_string={"q": "moon", "page": page}).status_code == 404


def test_a_search_page_past_the_last_is_404(client):
    create_thread(client, title="Moon")
    assert client.get("/search?q=moon&page=2").status_code == 404
    assert client.get("/search?q=zebra&page=2").status_code == 404
    assert client.get("/search?q=zebra&page=1").status_code == 200
