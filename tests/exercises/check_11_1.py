"""Exercise 11.1 · A new password: flask set-password NAME."""

from forum import PASSWORD, create_user, log_in, login_redirect_next, staff_client

NEW = "a-brand-new-password"


def set_password(app, name, typed):
    """Run `flask set-password NAME`, typing ``typed`` at its prompts; return click's result."""
    # The flask command runs every command inside an app context; Flask's test runner does not.
    with app.app_context():
        return app.test_cli_runner().invoke(args=["set-password", name], input=typed)


def command_exists(app):
    result = set_password(app, "--help", "")
    return result.exit_code == 0 and "Usage" in result.output


def test_set_password_changes_the_password(app, note):
    """flask set-password milo asks twice, says "Password changed for milo.", and only the new one works.

    Hint: a command next to create-user in accounts.py, @bp.cli.command("set-password")
    with @click.argument("username"): click.prompt(..., hide_input=True,
    confirmation_prompt=True), check_new_account() for the rules, then
    UPDATE users SET password_hash = ? WHERE id = ? inside write_transaction().
    """
    assert command_exists(app), "there is no command `flask set-password` yet"
    create_user(app, "milo")
    result = set_password(app, "milo", f"{NEW}\n{NEW}\n")
    assert result.exit_code == 0, f"flask set-password milo says: {result.output.strip()}"
    assert "Password changed for milo." in result.output, f"it says {result.output.strip()!r}"
    statuses = {
        password: log_in(app.test_client(), "milo", password).status_code for password in (NEW, PASSWORD)
    }
    assert statuses == {NEW: 303, PASSWORD: 400}, (
        f"logging in with the new password: {statuses[NEW]}, with the old one: {statuses[PASSWORD]}"
    )
    note("the old password no longer works; the new one does")


def test_set_password_refuses_what_create_user_refuses(app, note):
    """An unknown name, a short password or a mismatched confirmation: an error, and nothing changes.

    Hint: raise click.ClickException("...") for each: click prints the message and exits with 1.
    """
    assert command_exists(app), "there is no command `flask set-password` yet"
    create_user(app, "milo")
    tries = {
        "unknown name": ("nobody", f"{NEW}\n{NEW}\n"),
        "7 characters": ("milo", "short-7\nshort-7\n"),
        "confirmation that does not match": ("milo", f"{NEW}\n{NEW}-typo\n" * 3),
    }
    codes = {case: set_password(app, name, typed).exit_code for case, (name, typed) in tries.items()}
    accepted = [case for case, code in codes.items() if code == 0]
    assert not accepted, f"flask set-password accepted: {', '.join(accepted)}"
    assert log_in(app.test_client(), "milo").status_code == 303, "milo's old password stopped working"
    note("every bad try exits with an error code, and milo's password is unchanged")


def test_set_password_ends_the_accounts_sessions(app, note):
    """A moderator who logged in before the change is logged out: whoever knew the old
    password may be logged in with it. Other accounts stay logged in.

    Hint: accounts.end_sessions(db, user["id"]) in the same write_transaction().
    """
    assert command_exists(app), "there is no command `flask set-password` yet"
    moderator = staff_client(app, "mia")
    other = staff_client(app, "milo")
    set_password(app, "mia", f"{NEW}\n{NEW}\n")
    assert login_redirect_next(moderator.get("/mod/")) is not None, "mia is still logged in"
    assert other.get("/mod/").status_code == 200, "milo was logged out too"
    note("mia's old session ended; milo's did not")
