"""Exercise 09.1 · Your own settings: instance/config.py, and the environment above it."""

from forum import page


def upload_limit_shown(app):
    """The "up to N MiB" the new-thread form says."""
    text = page(app.test_client().get("/boards/astronomy")).text()
    return text.split("up to ", 1)[1].split(")")[0] if "up to " in text else text


def test_instance_config_py_sets_the_image_limit(app, app_folder):
    """With instance/config.py saying MAX_IMAGE_SIZE = 1024 * 1024, the forms say "up to 1 MiB".

    Hint: the instance folder sits next to the chatsite/ folder: create
    instance/config.py there with the one line MAX_IMAGE_SIZE = 1024 * 1024.
    """
    settings = app_folder / "instance" / "config.py"
    assert settings.is_file(), f"there is no {settings.relative_to(app_folder.parent)}"
    assert upload_limit_shown(app) == "1 MiB", f'the form says "up to {upload_limit_shown(app)}"'


def test_still_the_environment_wins(make_app, monkeypatch, note):
    """Started with FLASK_MAX_IMAGE_SIZE=2097152, the forms say "up to 2 MiB": the environment wins.

    Hint: leave create_app() as it is: from_prefixed_env() comes after from_pyfile().
    """
    monkeypatch.setenv("FLASK_MAX_IMAGE_SIZE", "2097152")
    assert upload_limit_shown(make_app()) == "2 MiB"
    note(
        "create_app() reads instance/config.py (layer 2) and then the FLASK_* variables "
        "(layer 3, app.config.from_prefixed_env()): the later layer wins"
    )
