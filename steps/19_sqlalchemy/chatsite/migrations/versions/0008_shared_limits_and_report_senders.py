"""Flood control shared by every worker, and who sent each report.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

- limit_entries: the requests flood control counted (flood_store.py), one row
  each, so that every worker process counts in the same place. Only recent
  rows matter: ix_limit_entries_key_at finds a key's, ix_limit_entries_expires_at
  the ones to delete.
- reports.client: the address of who sent the report, so that one client has
  at most one open report of a post. NULL for the reports already there: they
  block nobody.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "limit_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_limit_entries_key_at", "limit_entries", ["key", "at"])
    op.create_index("ix_limit_entries_expires_at", "limit_entries", ["expires_at"])
    op.add_column("reports", sa.Column("client", sa.String(100), nullable=True))


def downgrade():
    # batch_alter_table: SQLite cannot drop a column in place everywhere, so
    # Alembic copies the table (nothing refers to reports).
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("client")
    op.drop_index("ix_limit_entries_expires_at", table_name="limit_entries")
    op.drop_index("ix_limit_entries_key_at", table_name="limit_entries")
    op.drop_table("limit_entries")
