"""MkDocs hook: turn ``<!-- api: GET /api/boards -->`` into a real request and its answer.

MkDocs runs this file while it builds the site (see ``hooks:`` in mkdocs.yml).
For the examples on the API reference page it:

1. loads ``steps/08_json_api`` through ``tests/targets.py``, exactly like the
   tests do, with a temporary upload folder;
2. adds demo content the way a visitor would, through Flask's test client: it
   opens each form and posts it (two threads on Astronomy, one on Chess, then
   a reply with a small PNG made by ``tests/imagefactory.py``);
3. sends each marker's request with the test client and writes the request and
   the JSON answer into the page.

So every example is the app's real answer, made again at each build. The demo
content is built once per build and shared by all markers.

A marker expects 200 unless it says otherwise:
``<!-- api: GET /api/threads/999/posts status=404 -->``. Any other status fails
the build, so ``mkdocs build --strict`` catches an example that stopped working.
"""

import json
import re
import sys
import tempfile
from pathlib import Path

from mkdocs.exceptions import PluginError

# <!-- api: GET /api/boards -->  or  <!-- api: POST /api/boards status=405 -->
MARKER = re.compile(
    r"^(?P<indent>[ \t]*)<!--\s*api:\s*(?P<method>[A-Z]+)\s+(?P<path>/\S*)"
    r"(?:\s+status=(?P<status>\d{3}))?\s*-->[ \t]*$",
    re.M,
)
STEP = "08_json_api"
# The address `make run` serves on, so the examples' full URLs look like yours.
BASE_URL = "http://127.0.0.1:5000"
# Lists longer than this are cut in the examples, with a comment saying so.
MAX_ITEMS = 3

# What a visitor does, in order: (the form's page, the form's action, its fields,
# the name of an attached PNG or None). The app is brand new, so the threads get
# the ids 1, 2 and 3.
DEMO_VISIT = [
    (
        "/boards/astronomy",
        "/boards/astronomy/threads",
        {
            "title": "Saturn's rings tonight",
            "body": "Clear skies here and the rings are wide open. Anyone else out with a telescope?",
        },
        None,
    ),
    (
        "/boards/astronomy",
        "/boards/astronomy/threads",
        {"title": "Which star chart app do you use?", "body": "One that works offline, ideally."},
        None,
    ),
    (
        "/boards/chess",
        "/boards/chess/threads",
        {"title": "Best first opening to learn", "body": "The Italian Game or the London System?"},
        None,
    ),
    (
        "/threads/1",
        "/threads/1/replies",
        {"body": "My first try: a phone held to the eyepiece of a small refractor."},
        "saturn.png",
    ),
]

_demo = None  # (temporary folder, test client), made by the first marker of a build


def on_pre_build(config):
    """Start each build (also each rebuild of `mkdocs serve`) from fresh demo data."""
    _forget_demo()


def on_post_build(config):
    _forget_demo()


def on_build_error(error):
    _forget_demo()


def on_page_markdown(markdown, page, config, files):
    if not MARKER.search(markdown):
        return markdown  # most pages have no examples: don't start the app for them
    client = demo_client(Path(config.config_file_path).parent)

    def replace(match):
        expected = int(match["status"] or 200)
        text = example(client, match["method"], match["path"], expected, page.file.src_uri)
        # Keep the marker's indentation so the example stays inside its block.
        return "\n".join(match["indent"] + line if line else line for line in text.splitlines())

    return MARKER.sub(replace, markdown)


def demo_client(root):
    """A test client of the step's app, with the demo content posted (once per build)."""
    global _demo
    if _demo is None:
        tests = str(root / "tests")
        if tests not in sys.path:
            sys.path.insert(0, tests)
        # tests/ is only importable after the lines above.
        from forum import post_form
        from imagefactory import png
        from targets import load_app, step_targets

        target = next((t for t in step_targets() if t.name == STEP), None)
        if target is None:
            raise PluginError(f"api_examples: there is no steps/{STEP}/app.py")
        folder = tempfile.TemporaryDirectory(prefix="chatsite-api-examples-")
        client = load_app(target, Path(folder.name) / "uploads").test_client()
        _demo = (folder, client)
        for form_page, action, fields, image_name in DEMO_VISIT:
            image = (image_name, png(4, 3)) if image_name else None
            response = post_form(client, form_page, action, fields, image)
            if response.status_code != 303:
                raise PluginError(
                    f"api_examples: posting the demo form {action} answered "
                    f"{response.status}, not 303 See Other"
                )
    return _demo[1]


def _forget_demo():
    global _demo
    if _demo is not None:
        _demo[0].cleanup()
        _demo = None


def example(client, method, path, expected, page_name):
    """The Markdown for one marker: the request, then the real answer."""
    headers = {"Accept": "application/json"}
    response = client.open(path, method=method, base_url=BASE_URL, headers=headers)
    marker = f"<!-- api: {method} {path} -->"
    if response.status_code != expected:
        raise PluginError(
            f"{page_name}: {marker} answered {response.status}, but the page expects {expected}. "
            f"Fix the app, or the marker (add status=NNN for an error example)."
        )
    if response.mimetype != "application/json":
        raise PluginError(f"{page_name}: {marker} answered {response.mimetype}, not JSON")

    host = BASE_URL.split("://", 1)[1]
    request_lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Accept: application/json"]
    # The status line and the headers that matter, as the title of the JSON block.
    status_line = [f"HTTP/1.1 {response.status}", f"Content-Type: {response.mimetype}"]
    if "Allow" in response.headers:
        status_line.append(f"Allow: {response.headers['Allow']}")
    # json.loads keeps the keys in the order the server sent them.
    body = pretty(json.loads(response.get_data(as_text=True)))
    request_block = '```http title="Request"\n' + "\n".join(request_lines) + "\n```"
    response_block = f'```json title="{" · ".join(status_line)}"\n{body}\n```'
    return request_block + "\n\n" + response_block


def pretty(value, indent=0, name="items"):
    """Like json.dumps(value, indent=2), but a list longer than MAX_ITEMS is cut,
    ending with a comment such as `// … and 12 more boards, not shown here`."""
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(key)}: {pretty(item, indent + 1, key)}" for key, item in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and value:
        shown = [inner + pretty(item, indent + 1) for item in value[:MAX_ITEMS]]
        text = "[\n" + ",\n".join(shown)
        if len(value) > MAX_ITEMS:
            text += f"\n{inner}// … and {len(value) - MAX_ITEMS} more {name}, not shown here"
        return text + f"\n{pad}]"
    return json.dumps(value, ensure_ascii=False)
