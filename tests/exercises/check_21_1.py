"""Exercise 21.1 · A health check for the load balancer: /healthz.

A load balancer in front of several machines asks each one, every few seconds,
GET /healthz: 200 "ok" while the machine's database answers, 503 while it does
not (and then it sends visitors elsewhere). It asks by the machine's address,
so /healthz answers whatever the Host header says; every other page still
refuses a name that is not in TRUSTED_HOSTS.
"""

from pathlib import Path

from databases import dispose
from flask_migrate import upgrade

# How a load balancer names the machine it asks: its own address, no site name.
MACHINE = "10.0.0.7:5000"


def health(client, **headers):
    """(status, text) of GET /healthz."""
    response = client.get("/healthz", headers=headers)
    return response.status_code, response.get_data(as_text=True).strip()


def said(answer):
    """An answer of health(), for a message: its status, and its text if it is short."""
    status, text = answer
    return f"{status} {text!r}" if len(text) <= 40 else f"{status} (a page of {len(text)} characters)"


def database_folder(app):
    """The folder of the app's SQLite database file."""
    return Path(app.config["DATABASE_URL"].removeprefix("sqlite:///")).parent


def test_healthz_says_ok_while_the_database_answers(client):
    """GET /healthz answers 200 with the text "ok".

    Hint: make a module health.py with a Blueprint and one view for /healthz
    that runs a query, db.session.execute(text("SELECT 1")) (text comes from
    sqlalchemy), and returns "ok"; register its bp in create_app().
    """
    answer = health(client)
    assert answer == (200, "ok"), f"/healthz answered {said(answer)}, not 200 'ok'"


def test_healthz_says_503_while_the_database_is_gone_and_ok_when_it_is_back(make_app, note):
    """With the database gone, /healthz answers 503 (not 500), and 200 again as soon as it is back.

    The check takes the database away as a stopped server would: it moves the
    database's folder and closes every open connection. Each request must ask
    the database again: a balancer that was told "ok" once would send visitors
    to a dead machine for ever.

    Hint: run the query in try/except sqlalchemy.exc.SQLAlchemyError, and return
    a 503 from the except. Why not leave the error to errors.py? Look at what
    error_answers.database_unavailable() makes of an SQLite error that is not
    "database is locked".
    """
    app = make_app()
    client = app.test_client()
    folder = database_folder(app)
    statuses = [health(client)[0]]
    folder.rename(folder.with_name(folder.name + "-away"))
    dispose(app)
    try:
        statuses.append(health(client)[0])
    finally:
        folder.with_name(folder.name + "-away").rename(folder)
    statuses.append(health(client)[0])
    note(f"/healthz answered {statuses[0]}, {statuses[1]} with the database gone, then {statuses[2]}")
    assert statuses == [200, 503, 200], (
        f"/healthz answered {statuses[0]}, then {statuses[1]} with the database gone, then {statuses[2]} "
        "with it back (not 200, 503, 200)"
    )


def test_healthz_says_503_before_the_database_is_upgraded(make_app, tmp_path):
    """On a database without tables (no `flask db upgrade` yet), /healthz answers 503, and "ok" after it.

    Hint: nothing to do if /healthz is an ordinary view of the app:
    db.require_upgraded_database answers every request with a 503 until the
    upgrade. A new version of the site that needs an upgrade gets no visitors
    until somebody has run it.
    """
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'not-upgraded.sqlite3'}")
    client = app.test_client()
    before = health(client)[0]
    with app.app_context():
        upgrade()
    after = health(client)
    assert (before, after) == (503, (200, "ok")), (
        f"/healthz answered {before} before `flask db upgrade` and {said(after)} after it, "
        "not 503 then 200 'ok'"
    )


def test_a_load_balancer_may_ask_by_the_machines_address(client):
    """GET /healthz with Host: 10.0.0.7:5000 (no name of the site) answers 200 "ok".

    Hint: hosts.py refuses the request before Flask sees it. In
    TrustedHosts.__call__, let a request whose environ["PATH_INFO"] is
    "/healthz" through, whatever its host. Why is that safe for this one address,
    and not for the others?
    """
    answer = health(client, Host=MACHINE)
    assert answer == (200, "ok"), f"/healthz for Host: {MACHINE} answered {said(answer)}, not 200 'ok'"


def test_still_every_other_page_refuses_a_foreign_host(client):
    """Every other page still answers 400 to a Host not in TRUSTED_HOSTS, the machine's address included."""
    for url in ("/", "/boards/astronomy", "/api/boards", "/healthz/", "/healthz/extra"):
        status = client.get(url, headers={"Host": MACHINE}).status_code
        assert status == 400, f"{url} for Host: {MACHINE} answered {status}, not 400"
