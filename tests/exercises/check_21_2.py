"""Exercise 21.2 · HTTPS from now on: Strict-Transport-Security.

Every answer that came over HTTPS carries Strict-Transport-Security:
max-age=<HSTS_MAX_AGE>, a year by default; no answer over plain HTTP does.
Behind a proxy (PROXIES=1), "came over HTTPS" is what X-Forwarded-Proto says;
without one, that header is anybody's and changes nothing.
"""

HEADER = "Strict-Transport-Security"
A_YEAR = f"max-age={365 * 24 * 60 * 60}"


def hsts(client, url="/", https=False, **headers):
    """The Strict-Transport-Security header of the answer at `url`, or None."""
    base_url = "https://localhost" if https else "http://localhost"
    return client.get(url, base_url=base_url, headers=headers).headers.get(HEADER)


def test_answers_over_https_ask_for_https_for_a_year(client):
    """Over HTTPS, every answer (a page, an error page, the API, a stylesheet) says "max-age=31536000".

    Hint: in __init__.py, add_security_headers() runs for every answer. Add the
    header there when request.is_secure, with the number of seconds from a new
    setting, HSTS_MAX_AGE, in config.py's defaults (365 * 24 * 60 * 60).
    """
    urls = ["/", "/boards/astronomy", "/nowhere", "/api/boards", "/static/style.css"]
    shown = {url: hsts(client, url, https=True) for url in urls}
    assert shown == dict.fromkeys(urls, A_YEAR), f"over HTTPS, {HEADER} is {shown}"


def test_behind_a_proxy_x_forwarded_proto_says_https(make_app):
    """With PROXIES=1, a request that the proxy marks X-Forwarded-Proto: https gets the header.

    Hint: nothing more to do if you asked request.is_secure: ProxyFix (x_proto)
    makes it true for such a request. What would a test of the header
    X-Forwarded-Proto itself, in add_security_headers, do without a proxy?
    """
    client = make_app(PROXIES=1).test_client()
    shown = hsts(client, **{"X-Forwarded-Proto": "https"})
    assert shown == A_YEAR, f"behind a proxy that says https, {HEADER} is {shown!r}"


def test_the_max_age_is_a_setting(make_app):
    """With HSTS_MAX_AGE=300 (five minutes, to try HTTPS out), the header says "max-age=300".

    Hint: read app.config["HSTS_MAX_AGE"] (current_app.config, in
    add_security_headers) each time, rather than a number written in the code.
    """
    client = make_app(HSTS_MAX_AGE=300).test_client()
    shown = hsts(client, https=True)
    assert shown == "max-age=300", f"with HSTS_MAX_AGE=300, {HEADER} is {shown!r}"


def test_still_nothing_over_plain_http(make_app, client):
    """Over plain HTTP no answer has the header: neither with a forged X-Forwarded-Proto and no proxy,
    nor behind a proxy that says http."""
    shown = {
        "plain HTTP": hsts(client),
        "no proxy, a forged X-Forwarded-Proto: https": hsts(client, **{"X-Forwarded-Proto": "https"}),
        "a proxy that says http": hsts(make_app(PROXIES=1).test_client(), **{"X-Forwarded-Proto": "http"}),
    }
    assert shown == dict.fromkeys(shown), f"{HEADER} over plain HTTP: {shown}"
