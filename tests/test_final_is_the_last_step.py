"""The last step's package is the final app's package, file for file.

A learner who finishes the last step opens final/ and finds the code they just
wrote: final/ adds only its own test suite and benchmarks. (This is also why the
staged suite runs on final/ and not a second time on the last step: targets.py.)
"""

from targets import FINAL_DIR, package_files, step_targets


def test_the_last_step_is_the_final_app():
    last_step = step_targets()[-1]
    step_files = package_files(last_step.path)
    final_files = package_files(FINAL_DIR / "chatsite")
    differing = sorted(
        path
        for path in step_files.keys() | final_files.keys()
        if step_files.get(path) != final_files.get(path)
    )
    assert differing == [], f"{last_step.name}/chatsite and final/chatsite differ in: {differing}"
