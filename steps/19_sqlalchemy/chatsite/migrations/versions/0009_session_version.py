"""Each account keeps a session version: logging out ends every copy of a session.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

The session cookie holds "<user id>:<session_version>" (models.User.get_id).
Logging out and disabling the account add 1, so a cookie copied before is
refused on its next request (logins.load_user).

Existing accounts start at 0. Sessions made before this migration hold the id
alone: they are refused, and their users log in once more.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("users", sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"))


def downgrade():
    # batch_alter_table: SQLite before 3.35 cannot drop a column, so Alembic copies the table.
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_version")
