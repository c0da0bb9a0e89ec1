"""Exercise 10.3 · Delete a thread: flask delete-thread <id>, and everything of it goes."""

import contextlib
import sqlite3

import imagefactory
from forum import create_thread, reply, stored_files, thread_ids_on_board


def delete_thread(app, thread_id):
    """Run `flask delete-thread <id>` on the app; return what it says, or None if it worked."""
    # The flask command runs every command inside an app context; Flask's test runner does not.
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["delete-thread", str(thread_id)])
    if result.exit_code == 0:
        return None
    said = result.output.strip() or repr(result.exception)
    return f"flask delete-thread {thread_id} says: {said}"


def count(app, sql, *parameters):
    with contextlib.closing(sqlite3.connect(app.config["DATABASE"])) as db:
        return db.execute(sql, parameters).fetchone()[0]


def test_delete_thread_removes_the_thread_its_posts_and_images(app, client, upload_folder, note):
    """flask delete-thread 2 deletes thread 2, with its posts and its images' rows; the others stay.

    Hint: a click command, @click.command("delete-thread") with
    @click.argument("thread_id", type=int), that runs DELETE FROM threads WHERE
    id = ? inside write_transaction(get_db()); register it with
    app.cli.add_command() in an init_app().
    """
    keep = create_thread(client, title="Keep me")
    doomed = create_thread(client, title="Delete me", image=("doomed.png", imagefactory.png()))
    reply(client, doomed, "A reply that goes too")
    later = create_thread(client, title="Keep me too")
    problem = delete_thread(app, doomed)
    assert problem is None, problem
    assert client.get(f"/threads/{doomed}").status_code == 404, f"/threads/{doomed} is still there"
    assert thread_ids_on_board(client) == [later, keep], "the other threads did not stay"
    posts = count(app, "SELECT count(*) FROM posts WHERE thread_id = ?", doomed)
    images = count(app, "SELECT count(*) FROM images WHERE post_id NOT IN (SELECT id FROM posts)")
    assert (posts, images) == (0, 0), f"{posts} posts and {images} image rows of thread {doomed} are left"
    files = stored_files(upload_folder)
    note(
        f"the posts and image rows went too (ON DELETE CASCADE); the image file did not: "
        f"{len(files)} file(s) still in the upload folder"
    )


def test_a_new_thread_never_gets_a_deleted_id(app, client, note):
    """After deleting the newest thread (3), the next new thread gets 4, not 3 again.

    Hint: nothing to write: schema.sql says AUTOINCREMENT. The command must work first.
    """
    for title in ("One", "Two", "Three"):
        create_thread(client, title=title)
    problem = delete_thread(app, 3)
    assert problem is None, problem
    new = create_thread(client, title="Four")
    assert new == 4, f"the new thread got the id {new}"
    note("AUTOINCREMENT: SQLite never gives an id out twice, so an old link to /threads/3 stays a 404")
