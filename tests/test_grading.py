"""Grading students (make check): the staged tests judge behaviour, not markup.

The restyled copies of steps in tests/restyled/ keep the page contract of "For
instructors" and nothing else of the steps' markup: other class names, attribute
order and nesting. Graded in instructor mode, they must pass every test up to
their step. A student's package (steps 09 on) is graded like an app.py.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from forum import (
    board_names,
    create_thread,
    csrf_token,
    field_labels,
    image_urls_in,
    page,
    post_ids,
    post_ids_in,
    reply,
    thread_ids,
)
from targets import ROOT, STEPS_DIR, load_app, student_target

RESTYLED = Path(__file__).parent / "restyled"
SAMPLE_REPORT = RESTYLED / "sample-report.json"


def grade(app, step, *test_files, report=None):
    """Run the staged suite in instructor mode, as `make check` does; return the process."""
    env = {**os.environ, "CHATSITE_APP": str(app), "CHATSITE_STEP": step}
    env.pop("CHATSITE_REPORT", None)
    if report is not None:
        env["CHATSITE_REPORT"] = str(report)
    command = [sys.executable, "-m", "pytest", *(test_files or ["tests"])]
    command += ["-q", "-p", "no:cacheprovider", "--no-header", "--tb=short"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def class_names(folder):
    names = set()
    for template in (folder / "templates").glob("*.html"):
        for found in re.findall(r'class="([^"]*)"', template.read_text(encoding="utf-8")):
            names.update(found.split())
    return names


@pytest.mark.parametrize("variant", ["04_replies", "08_json_api"])
def test_a_restyled_copy_of_a_step_passes_every_test_up_to_it(variant, tmp_path):
    folder = RESTYLED / variant
    [step_folder] = [path for path in STEPS_DIR.iterdir() if path.name == variant]
    # A real restyling: not one class name of the step is left.
    assert class_names(folder)
    assert not class_names(folder) & class_names(step_folder)
    done = grade(folder / "app.py", variant[:2], report=tmp_path / "report.json")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["outcome"] == "passed"
    assert list(report["steps"]) == [f"{n:02d}" for n in range(1, int(variant[:2]) + 1)]
    assert "Chat Site report" in done.stdout


def test_a_students_package_is_graded_like_a_step(tmp_path):
    """make check STEP=10 APP=path/to/chatsite: a package folder with create_app()."""
    package = tmp_path / "alex" / "chatsite"
    shutil.copytree(STEPS_DIR / "10_database" / "chatsite", package)
    for app in (package, package / "__init__.py"):
        target = student_target(app, "10")
        assert (target.name, target.number, target.path) == ("alex@10", 10, package)
        assert target.is_package
    client = load_app(student_target(package, "10"), tmp_path / "data" / "uploads").test_client()
    thread_id = create_thread(client)
    assert reply(client, thread_id).status_code == 303
    assert len(post_ids(client, thread_id)) == 2
    done = grade(package, "10", "tests/test_09_package.py", "tests/test_10_database.py")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "step 10: PASS" in done.stdout


def test_the_report_names_each_failed_test_by_its_purpose(tmp_path):
    """Step 01 graded as step 02: step 01 passes, every step 02 test fails, by name.

    The sample on "For instructors" is this report: regenerate it with
    CHATSITE_WRITE_SAMPLE=1 when the tests change."""
    report_file = tmp_path / "report.json"
    student = tmp_path / "alex"
    shutil.copytree(STEPS_DIR / "01_boards", student, ignore=shutil.ignore_patterns("__pycache__"))
    files = ("tests/test_01_boards.py", "tests/test_02_board_pages.py")
    done = grade(student / "app.py", "02", *files, report=report_file)
    assert done.returncode == 1
    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert report["outcome"] == "failed"
    assert report["steps"]["01"]["outcome"] == "passed"
    assert report["steps"]["02"]["outcome"] == "failed"
    failed = report["steps"]["02"]["tests"]
    assert all(test["outcome"] == "failed" and test["failed"] for test in failed)
    assert "FAIL Letter filter ignores case" in done.stdout
    assert "failed: test_letter_filter_ignores_case[alex@02]" in done.stdout
    report["app"] = "students/alex/app.py"  # as an instructor would type it
    if os.environ.get("CHATSITE_WRITE_SAMPLE"):
        text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
        SAMPLE_REPORT.write_text(text, encoding="utf-8")
    assert json.loads(SAMPLE_REPORT.read_text(encoding="utf-8")) == report


def test_the_page_reader_sees_what_a_user_sees_whatever_the_markup():
    """Two pages that differ only in markup read the same (tests/forum.py)."""
    plain = """<main><ul><li><a class="board-name" href="/boards/chess">Chess</a> Games</li></ul>
      <p>2 threads found</p><a href="/threads/2">Two</a><a href="/threads/1">One</a>
      <form method="post" action="/x" enctype="multipart/form-data">
      <label for="body">Message</label><textarea id="body" name="body">hi</textarea>
      <input type="hidden" name="csrf_token" value="t&amp;1"></form>
      <article id="post-7"><img src="/uploads/a.png" alt="a.png"></article></main>"""
    fancy = """<div><main class="x1"><div><ul class="x2"><li><div><div><span><A HREF='/boards/chess'
      class=x3>Chess</A></span> <em>Games</em></div></div></ul></div>
      <section><p>2 <b>threads</b> found</p><div><a href="/threads/2" class="y">Two</a></div>
      <a class="z" href="/threads/1">One</a></section>
      <FORM ENCTYPE="multipart/form-data" action="/x" METHOD="POST"><div><label>
      <span>Message</span><textarea name="body">hi</textarea></label></div>
      <input value="t&amp;1" name="csrf_token" type="hidden"></FORM>
      <div id="post-7" class="p"><figure><img alt="a.png" src="/uploads/a.png" /></figure></div>
      </main></div>"""
    for html in (plain, fancy):
        shown = page(html)
        assert board_names(html) == ["Chess"]
        assert thread_ids(shown.links_after(r"\b\d+ threads? found\b")) == [2, 1]
        [form] = shown.forms()
        assert (form.action, form.method, form.enctype) == ("/x", "post", "multipart/form-data")
        assert field_labels(form, shown) == {"body": "Message"}
        assert csrf_token(html) == "t&1"
        assert post_ids_in(html) == [7]
        assert image_urls_in(html) == ["/uploads/a.png"]
