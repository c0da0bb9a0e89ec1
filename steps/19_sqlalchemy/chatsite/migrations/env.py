"""Alembic runs this for every `flask --app chatsite db ...` command.

It takes the database from the running app (CHATSITE_DATABASE_URL, or SQLite in
the instance folder) and the tables from chatsite.models, so `flask db migrate`
can compare the two and write a new migration.
"""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if config.config_file_name is not None:
    # Keep the app's own loggers working (Alembic's default would silence them).
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

db = current_app.extensions["migrate"].db


def run_migrations_offline():
    """`flask db upgrade --sql`: print the SQL instead of running it."""
    url = db.engine.url.render_as_string(hide_password=False)
    context.configure(url=url, target_metadata=db.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run the migrations on the app's database, in one transaction."""

    def skip_empty_migrations(context, revision, directives):
        # `flask db migrate` with no change to the models writes no empty file.
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    arguments = dict(current_app.extensions["migrate"].configure_args)
    arguments.setdefault("process_revision_directives", skip_empty_migrations)
    with db.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=db.metadata, **arguments)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
