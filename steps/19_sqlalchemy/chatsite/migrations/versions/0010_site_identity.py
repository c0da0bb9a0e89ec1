"""The database gets a random site id, so that `flask prune-uploads` knows its files.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

One row, made here: a random id (32 hexadecimal digits). The site's first
upload writes it into the upload folder too (files.SITE_ID_FILE), and
`flask prune-uploads` deletes nothing unless the database it reads has the id
the folder recorded. A command run with other settings (another database, or
the default SQLite file) stops with an error instead of finding "no post" for
every file.

A copy of the database (a backup, pg_dump, a restore) keeps its id, and so
still matches the uploads backed up with it.
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    site_identity = op.create_table("site_identity", sa.Column("id", sa.String(32), primary_key=True))
    op.bulk_insert(site_identity, [{"id": secrets.token_hex(16)}])


def downgrade():
    op.drop_table("site_identity")
