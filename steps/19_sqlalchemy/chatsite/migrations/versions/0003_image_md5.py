"""Each image keeps the MD5 of its bytes, for the 4chan-compatible API (fourchan.py).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

Imageboard clients and archivers identify a file by its MD5 (4chan's ``md5``
field: base64 of the 16-byte digest, 24 characters) and use it to skip files
they already have. The app computes it once, when the upload is saved
(uploads.save_image), instead of reading the file again at every request.

Images stored before this migration have no MD5 (NULL): the 4chan API leaves
``md5`` out for them until ``flask fill-md5`` has read their files.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("images", sa.Column("md5", sa.String(24), nullable=True))


def downgrade():
    # batch_alter_table: SQLite before 3.35 cannot drop a column, so Alembic copies the table.
    with op.batch_alter_table("images") as batch:
        batch.drop_column("md5")
