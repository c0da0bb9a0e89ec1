"""Exercise 09.2 · A new blueprint: an About page at /about, linked from every page's footer."""

from forum import create_thread, page


def test_the_about_page_is_there_in_the_sites_style(client):
    """/about answers 200 with a page of the site: its heading, its stylesheet, its header.

    Hint: about.py with bp = Blueprint("about", __name__) and a view under
    @bp.get("/about") that renders about.html, a template that extends base.html.
    """
    response = client.get("/about")
    assert response.status_code == 200, f"/about answers {response.status_code}"
    shown = page(response)
    assert shown.find_all("h1"), "the About page has no <h1> heading"
    assert shown.stylesheets(), "the About page does not use the site's stylesheet (extend base.html)"


def test_the_about_page_belongs_to_the_about_blueprint(app):
    """The /about page's view is in a blueprint called "about", registered in create_app().

    Hint: app.register_blueprint(about.bp) in create_app(), with the others.
    """
    endpoints = [rule.endpoint for rule in app.url_map.iter_rules() if rule.rule == "/about"]
    assert endpoints, "no route answers /about"
    assert endpoints[0].split(".")[0] == "about", f'the view of /about is "{endpoints[0]}"'


def test_every_pages_footer_links_to_about(client):
    """Every page's footer links to /about: the home page, a board, a thread, /about itself.

    Hint: in base.html's <footer>: <a href="{{ url_for('about.page') }}">About</a>.
    """
    thread_id = create_thread(client)
    for address in ("/", "/boards/astronomy", f"/threads/{thread_id}", "/about"):
        footer = [link.get("href") for link in page(client.get(address)).links() if link.inside("footer")]
        assert "/about" in footer, f"the footer of {address} has no link to /about"
