"""Quotes: which post quotes which (">>N"), for quote links and backlinks.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-18

One row per (post, quoted post), written with the post (quoting.py). Both
columns go with their post (ON DELETE CASCADE). The index on quoted_id finds
a post's backlinks, the primary key a post's quotes.

Posts stored before this migration have no rows: their ">>N" stay text, as
they were shown until now.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "quotes",
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("quoted_id", sa.Integer(), sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_index("ix_quotes_quoted_id", "quotes", ["quoted_id"])


def downgrade():
    op.drop_index("ix_quotes_quoted_id", table_name="quotes")
    op.drop_table("quotes")
