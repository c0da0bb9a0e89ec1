"""Settings: development defaults < instance/config.py < CHATSITE_* variables < test_config."""

import os
from datetime import timedelta

import flask
import pytest

from chatsite import create_app
from chatsite.config import BOARDS, LOCAL_HOSTS
from chatsite.hosts import trusted_name


@pytest.fixture
def instance_path(tmp_path, monkeypatch):
    """Make create_app() use a temporary instance folder, and a clean environment."""
    folder = tmp_path / "instance"
    monkeypatch.setattr(flask.Flask, "auto_find_instance_path", lambda self: str(folder))
    for name in list(os.environ):
        if name.startswith("CHATSITE_"):
            monkeypatch.delenv(name)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    return folder


def test_defaults(instance_path):
    app = create_app()
    assert app.config["SECRET_KEY"] == (instance_path / "secret_key").read_text().strip()
    # LOCAL_HOSTS, as hosts.py compares them ("::1" is "[::1]").
    assert set(map(trusted_name, LOCAL_HOSTS)) == {"localhost", "127.0.0.1", "[::1]"}
    assert set(app.wsgi_app.names) == set(map(trusted_name, LOCAL_HOSTS))
    assert app.config["TRUSTED_HOSTS"] is None  # in the place of Flask's own check
    assert app.config["PROXIES"] == 0
    assert app.config["UPLOAD_FOLDER"] == str(instance_path / "uploads")
    assert app.config["MAX_IMAGE_SIZE"] == 4 * 1024 * 1024
    assert app.config["MAX_VIDEO_SIZE"] == 16 * 1024 * 1024
    assert app.config["MAX_CONTENT_LENGTH"] == 17 * 1024 * 1024  # a 16 MiB video and the text fields
    assert (app.config["MAX_IMAGE_PIXELS"], app.config["MAX_IMAGE_SIDE"]) == (40_000_000, 10_000)
    assert (app.config["MAX_ANIMATION_PIXELS"], app.config["THUMBNAIL_SIZE"]) == (20_000_000, 250)
    assert app.config["MAX_FORM_MEMORY_SIZE"] == 65 * 1024  # 64 KiB of text, and room for Werkzeug's reads
    assert app.config["MAX_FORM_PARTS"] == 20
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["BOARDS"] == BOARDS
    assert len(BOARDS) == 15
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance_path / 'chatsite.sqlite3'}"
    # Moderation: flood control, staff sessions, CSRF tokens.
    assert (app.config["THREAD_INTERVAL"], app.config["REPLY_INTERVAL"]) == (60, 10)
    assert app.config["LOGIN_ATTEMPTS_PER_MINUTE"] == 5
    assert app.config["RATELIMIT_STORAGE_URI"] == "chatsite-db://"  # the database: shared by every worker
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=12)
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None
    assert app.config["SESSION_COOKIE_SECURE"] is False


@pytest.mark.parametrize(
    ("scheme", "secure", "used"),
    [("http", None, False), ("https", None, True), ("https", "false", False), ("http", "true", True)],
)
def test_the_session_cookie_is_secure_on_https_unless_set(instance_path, monkeypatch, scheme, secure, used):
    monkeypatch.setenv("CHATSITE_PREFERRED_URL_SCHEME", scheme)
    if secure is not None:
        monkeypatch.setenv("CHATSITE_SESSION_COOKIE_SECURE", secure)
    assert create_app().config["SESSION_COOKIE_SECURE"] is used


def test_the_limits_can_be_set_from_the_environment(instance_path, monkeypatch):
    for name in ("THREAD_INTERVAL", "REPLY_INTERVAL", "LOGIN_ATTEMPTS_PER_MINUTE"):
        monkeypatch.setenv(f"CHATSITE_{name}", "0")
    config = create_app().config
    limits = (config["THREAD_INTERVAL"], config["REPLY_INTERVAL"], config["LOGIN_ATTEMPTS_PER_MINUTE"])
    assert limits == (0, 0, 0)


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgresql://u:p@db.example/chat", "postgresql+psycopg://u:p@db.example/chat"),
        ("postgres://u:p@db.example/chat", "postgresql+psycopg://u:p@db.example/chat"),
        ("postgresql+psycopg://u@h/c", "postgresql+psycopg://u@h/c"),
        ("sqlite:////srv/chat.sqlite3", "sqlite:////srv/chat.sqlite3"),
    ],
)
def test_postgresql_urls_use_psycopg_3(instance_path, monkeypatch, given, used):
    monkeypatch.setenv("CHATSITE_DATABASE_URL", given)
    assert create_app().config["SQLALCHEMY_DATABASE_URI"] == used


def test_the_instance_folder_is_created(instance_path):
    assert not instance_path.exists()
    create_app()
    assert instance_path.is_dir()


def test_instance_config_overrides_the_defaults(instance_path):
    instance_path.mkdir()
    (instance_path / "config.py").write_text('SECRET_KEY = "from-instance"\nMAX_CONTENT_LENGTH = 1024\n')
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-instance"
    assert app.config["MAX_CONTENT_LENGTH"] == 1024


def test_environment_overrides_the_instance_config(database_url, instance_path, monkeypatch, tmp_path):
    instance_path.mkdir()
    (instance_path / "config.py").write_text('SECRET_KEY = "from-instance"\n')
    monkeypatch.setenv("CHATSITE_SECRET_KEY", "from-environment")
    monkeypatch.setenv("CHATSITE_MAX_CONTENT_LENGTH", "1048576")
    monkeypatch.setenv("CHATSITE_THUMBNAIL_SIZE", "120")
    monkeypatch.setenv("CHATSITE_UPLOAD_FOLDER", str(tmp_path / "elsewhere"))
    boards = '[{"slug": "zen", "name": "Zen", "description": "Quiet."}]'
    monkeypatch.setenv("CHATSITE_BOARDS", boards)
    monkeypatch.setenv("CHATSITE_DATABASE_URL", database_url)
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-environment"
    assert app.config["MAX_CONTENT_LENGTH"] == 1048576  # read as JSON: a number
    assert app.config["THUMBNAIL_SIZE"] == 120
    assert app.config["UPLOAD_FOLDER"] == str(tmp_path / "elsewhere")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == database_url
    client = app.test_client()
    assert [board["slug"] for board in client.get("/api/boards").get_json()["boards"]] == ["zen"]
    assert client.get("/boards/zen").status_code == 200
    assert client.get("/boards/astronomy").status_code == 404


def test_test_config_wins(instance_path, monkeypatch):
    monkeypatch.setenv("CHATSITE_SECRET_KEY", "from-environment")
    app = create_app({"SECRET_KEY": "from-test", "TESTING": True})
    assert app.config["SECRET_KEY"] == "from-test"
    assert app.testing


def test_without_a_key_each_installation_makes_its_own_and_keeps_it(instance_path, tmp_path, monkeypatch):
    first = create_app().config["SECRET_KEY"]
    key_file = instance_path / "secret_key"
    assert len(first) == 64
    assert key_file.stat().st_mode & 0o777 == 0o600  # only its owner can read it
    assert create_app().config["SECRET_KEY"] == first  # the next start, or another worker
    elsewhere = tmp_path / "another-installation"
    monkeypatch.setattr(flask.Flask, "auto_find_instance_path", lambda self: str(elsewhere))
    assert create_app().config["SECRET_KEY"] != first


def test_a_configured_key_wins_and_no_file_is_made(instance_path, monkeypatch):
    monkeypatch.setenv("CHATSITE_SECRET_KEY", "from-environment")
    assert create_app().config["SECRET_KEY"] == "from-environment"
    assert not (instance_path / "secret_key").exists()


def test_an_empty_key_file_is_refused_with_a_clear_message(instance_path):
    instance_path.mkdir()
    (instance_path / "secret_key").write_text("\n")
    with pytest.raises(RuntimeError, match="delete it to make a new one"):
        create_app()


def test_config_changed_after_create_app_takes_effect(app, client):
    app.config["MAX_IMAGE_SIZE"] = 2 * 1024 * 1024
    assert "up to 2 MiB" in client.get("/boards/astronomy").get_data(as_text=True)
