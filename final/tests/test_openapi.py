"""The API's OpenAPI document (chatsite/openapi.json) tells the truth about the API.

The document is written by hand, so these tests are what keeps it from
drifting away from the code:

- it is a valid OpenAPI 3.1 document;
- /api/openapi.json serves it, every /api/ route of the app is in it, and
  every path in it is a route, with the same methods and path parameters:
  what a client sees, tested in the staged suite (tests/test_22_fourchan_api.py);
- every response it documents (each operation, each status) is produced here
  by a real request and checked against the schema it gives;
- Schemathesis generates requests from it, valid and invalid, and checks each
  answer against it: no 5xx, only documented statuses, bodies that match.
"""

import json
import sqlite3

import imagefactory
import jsonschema_rs
import pytest
import schemathesis
from databases import dispose, fresh_sqlite_url
from forum import create_thread, reply
from hypothesis import HealthCheck, settings
from sqlalchemy.exc import OperationalError
from targets import FLOOD_LIMITS_OFF

from chatsite import create_app, reading
from chatsite.api import OPENAPI_DOCUMENT

DOCUMENT = json.loads(OPENAPI_DOCUMENT.read_text(encoding="utf-8"))
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def documented_operations():
    """{(path, method): operation} for every operation in the document."""
    return {
        (path, method): operation
        for path, item in DOCUMENT["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def test_the_document_is_valid_openapi_3_1():
    # Schemathesis carries the official OpenAPI 3.1 schema (for documents), so no download is needed.
    from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

    assert DOCUMENT["openapi"].startswith("3.1.")
    assert problems(OPENAPI_31_VALIDATOR, DOCUMENT) == []
    # Every schema in it is a valid JSON Schema 2020-12 (OpenAPI 3.1's dialect).
    for name, schema in DOCUMENT["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name


def resolve(item):
    """Follow a "$ref": "#/components/..." to what it points to, inside the document."""
    while "$ref" in item:
        ref = item["$ref"]
        assert ref.startswith("#/"), ref
        item = DOCUMENT
        for key in ref[2:].split("/"):
            item = item[key]
    return item


# --- every documented response, produced and checked -----------------------------------------


def validator_for(schema):
    """A JSON Schema 2020-12 validator for a schema of the document (its $refs resolve)."""
    return jsonschema_rs.Draft202012Validator({**schema, "components": DOCUMENT["components"]})


def problems(validator, instance):
    """What is wrong with `instance`, one line each (an empty list: nothing)."""
    return [f"{error.instance_path}: {error.message}" for error in validator.iter_errors(instance)]


def busy(*args, **kwargs):
    """Stand-in for a data layer function when the database is locked for too long."""
    raise OperationalError("SELECT ...", {}, sqlite3.OperationalError("database is locked"))


# Instead of a function to break: send the answer's own ETag back in If-None-Match.
SAME_ETAG = "If-None-Match: the ETag of the same request"

# (path template, method, status): the request that produces it, and what to
# break first (a function of reading.py that then finds the database busy), if anything.
RESPONSES = {
    ("/api/boards", "get", "200"): ("/api/boards", None),
    ("/api/boards", "get", "503"): ("/api/boards", "all_boards"),
    ("/api/boards/{slug}/threads", "get", "200"): ("/api/boards/astronomy/threads", None),
    ("/api/boards/{slug}/threads", "get", "400"): ("/api/boards/astronomy/threads?page=first", None),
    ("/api/boards/{slug}/threads", "get", "404"): ("/api/boards/no-such-board/threads", None),
    ("/api/boards/{slug}/threads", "get", "503"): ("/api/boards/astronomy/threads", "board_page"),
    ("/api/threads/{thread_id}/posts", "get", "200"): ("/api/threads/{thread}/posts", None),
    ("/api/threads/{thread_id}/posts", "get", "304"): ("/api/threads/{thread}/posts?after=0", SAME_ETAG),
    ("/api/threads/{thread_id}/posts", "get", "400"): ("/api/threads/{thread}/posts?page=0", None),
    ("/api/threads/{thread_id}/posts", "get", "404"): ("/api/threads/{thread}/posts?page=2", None),
    ("/api/threads/{thread_id}/posts", "get", "503"): ("/api/threads/{thread}/posts", "posts_page"),
    ("/api/openapi.json", "get", "200"): ("/api/openapi.json", None),
}


def test_every_documented_response_has_a_request_here():
    documented = {
        (path, method, status)
        for (path, method), operation in documented_operations().items()
        for status in operation["responses"]
    }
    assert documented == set(RESPONSES)


@pytest.mark.parametrize("path, method, status", sorted(RESPONSES), ids="-".join)
def test_each_documented_response_matches_its_schema(client, monkeypatch, path, method, status):
    thread = create_thread(client, "Saturn", "Rings tonight", image=("rings.png", imagefactory.png()))
    reply(client, thread, "A reply without an image")
    url, broken = RESPONSES[(path, method, status)]
    url, headers = url.format(thread=thread), {}
    if broken == SAME_ETAG:
        headers["If-None-Match"] = client.get(url).headers["ETag"]
    elif broken:
        monkeypatch.setattr(reading, broken, busy)
    response = client.open(url, method=method.upper(), headers=headers)
    assert response.status_code == int(status)
    documented = resolve(DOCUMENT["paths"][path][method]["responses"][status])
    check_headers(documented, response)
    if "content" not in documented:  # 304: no body at all
        assert response.data == b""
        return
    assert response.mimetype in documented["content"]
    schema = documented["content"][response.mimetype]["schema"]
    body = response.get_json()
    assert problems(validator_for(schema), body) == []
    if path == "/api/threads/{thread_id}/posts" and status == "200":
        assert [post["image"] is not None for post in body["posts"]] == [True, False]  # both branches


def check_headers(documented, response):
    """Every header the response documents is there, unless the document says
    "required": false (the ETag of /posts comes with ?after= only)."""
    for name, header in documented.get("headers", {}).items():
        if header.get("required") is not False:
            assert name in response.headers, name


def test_the_after_answer_matches_its_schema_and_has_its_etag(client):
    """/posts?after= (the other shape of that 200, NewPosts) and its headers."""
    thread = create_thread(client, "Saturn", "Rings tonight", image=("rings.png", imagefactory.png()))
    reply(client, thread, "A reply without an image")
    response = client.get(f"/api/threads/{thread}/posts?after=0")
    documented = resolve(DOCUMENT["paths"]["/api/threads/{thread_id}/posts"]["get"]["responses"]["200"])
    body = response.get_json()
    assert problems(validator_for(documented["content"]["application/json"]["schema"]), body) == []
    assert problems(validator_for(DOCUMENT["components"]["schemas"]["NewPosts"]), body) == []
    assert [post["image"] is not None for post in body["posts"]] == [True, False]
    assert set(documented["headers"]) <= set(response.headers.keys())


# --- Schemathesis: generated requests, valid and invalid --------------------------------------

# Same document, same app, every run: a fixed number of examples per operation,
# derandomized (the same ones each time), no example database, no network (WSGI).
FUZZ_EXAMPLES = 25
schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.config.generation.update(max_examples=FUZZ_EXAMPLES, deterministic=True, database="none")


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    """One app for the whole fuzz run, on SQLite, with a little of everything in it:
    threads on two boards, a title-only thread, replies, an image."""
    folder = tmp_path_factory.mktemp("fuzz")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "fuzz",
            "UPLOAD_FOLDER": str(folder / "uploads"),
            "DATABASE_URL": fresh_sqlite_url(folder),
            **FLOOD_LIMITS_OFF,
        }
    )
    client = app.test_client()
    first = create_thread(client, "Saturn", "Rings <b>tonight</b>", image=("rings.png", imagefactory.png()))
    reply(client, first, "A reply\nwith two lines")
    create_thread(client, "Only a title", "")
    create_thread(client, "Openings", "e4 or d4?", board="chess")
    yield app
    dispose(app)


@schema.parametrize()
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_the_api_keeps_its_documents_promises_under_fuzzing(case, fuzz_app):
    case.call_and_validate(app=fuzz_app)
