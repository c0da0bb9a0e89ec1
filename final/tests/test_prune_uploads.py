"""`flask prune-uploads` deletes files only with the database they belong to.

Run from cron without the app's CHATSITE_* settings, the command would read the
default SQLite database: no post there refers to any file, so every upload of
the real site would look unused. The upload folder records the id of its
database (site-id.txt, written at the first upload), and the command compares
it with the database's id (table site_identity) before deleting anything. It
never creates a database either: a missing SQLite file is an error.
"""

import os
import time

import imagefactory
import pytest
from databases import dispose, migrate
from forum import create_thread, stored_files
from targets import FLOOD_LIMITS_OFF

from chatsite import create_app


def app_on(database_url, upload_folder):
    """The app as a command run with these settings would build it."""
    return create_app({
        "TESTING": True,
        "SECRET_KEY": "test",
        "UPLOAD_FOLDER": str(upload_folder),
        "DATABASE_URL": database_url,
        **FLOOD_LIMITS_OFF,
    })


@pytest.fixture
def other_app(tmp_path, upload_folder):
    """Another site's database (migrated: it has tables and its own site id), on the same
    upload folder: cron's default SQLite file after an earlier `make run`."""
    url = f"sqlite:///{tmp_path / 'default' / 'chatsite.sqlite3'}"
    (tmp_path / "default").mkdir()
    migrate(url)
    other = app_on(url, upload_folder)
    yield other
    dispose(other)


def age(paths, seconds=2 * 60 * 60):
    """Make files look `seconds` old: older than the hour the command leaves alone."""
    then = time.time() - seconds
    for path in paths:
        os.utime(path, (then, then))


def prune(app):
    return app.test_cli_runner().invoke(args=["prune-uploads"])


def prune_on(database_url, upload_folder):
    """Run the command as an app on that database and folder (cron's own settings) would."""
    other = app_on(database_url, upload_folder)
    try:
        return prune(other)
    finally:
        dispose(other)


def orphan_in(upload_folder):
    """A file no post refers to, an old one: what the command is for."""
    orphan = upload_folder / "ff" / ("f" * 64 + ".png")
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(imagefactory.png())
    return orphan


def test_another_database_deletes_nothing(app, client, other_app, upload_folder):
    thread = create_thread(client, image=("kept.png", imagefactory.png()))
    orphan = orphan_in(upload_folder)
    files = stored_files(upload_folder)
    age(files)
    refused = prune(other_app)
    assert refused.exit_code == 1, refused.output
    assert "Nothing was deleted." in refused.output
    assert "CHATSITE_DATABASE_URL" in refused.output
    assert stored_files(upload_folder) == files
    assert client.get(f"/threads/{thread}").status_code == 200

    done = prune(app)  # with the site's own settings: the orphan goes, the rest stays
    assert (done.exit_code, "Removed 1 file " in done.output) == (0, True), done.output
    assert stored_files(upload_folder) == sorted(set(files) - {orphan})


def test_a_database_that_is_not_there_is_an_error_and_is_not_created(tmp_path, upload_folder):
    """A clean box: no database file at all. Before, the command made an empty one."""
    database = tmp_path / "instance" / "chatsite.sqlite3"
    database.parent.mkdir()
    orphan = orphan_in(upload_folder)
    age([orphan])
    result = prune_on(f"sqlite:///{database}", upload_folder)
    assert result.exit_code == 1
    assert f"There is no database at sqlite:///{database}" in result.output
    assert not database.exists()
    assert stored_files(upload_folder) == [orphan]


def test_a_database_without_a_site_id_is_an_error(tmp_path, app, client, upload_folder):
    """An empty SQLite file (left behind by an older version), or one from before migration 0010."""
    create_thread(client, image=("kept.png", imagefactory.png()))
    files = stored_files(upload_folder)
    age(files)
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    result = prune_on(f"sqlite:///{empty}", upload_folder)
    assert result.exit_code == 1
    assert "Cannot read the site id of the database" in result.output
    assert "flask --app chatsite db upgrade" in result.output
    assert stored_files(upload_folder) == files


def test_a_folder_that_does_not_say_its_database_is_left_alone(app, client, upload_folder):
    """Files from before the site id (or a folder copied from elsewhere): nothing is deleted
    until the site's next upload records the id."""
    orphan = orphan_in(upload_folder)
    age([orphan])
    refused = prune(app)
    assert refused.exit_code == 1
    assert "does not say which database it belongs to" in refused.output
    assert stored_files(upload_folder) == [orphan]

    create_thread(client, image=("new.png", imagefactory.png()))
    done = prune(app)
    assert (done.exit_code, "Removed 1 file " in done.output) == (0, True), done.output
    assert orphan not in stored_files(upload_folder)


def test_the_site_id_file_is_not_served_nor_pruned(app, client, upload_folder):
    create_thread(client, image=("kept.png", imagefactory.png()))
    site_id = upload_folder / "site-id.txt"
    assert site_id.is_file()
    age([site_id, *stored_files(upload_folder)])
    assert client.get("/uploads/site-id.txt").status_code == 404
    assert "Removed 0 files" in prune(app).output
    assert site_id.is_file()
