"""Media: images named by their content, thumbnails, and videos.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-15

- images.sha256: the SHA-256 of the stored bytes, which names the file
  ("<sha[:2]>/<sha>.<ext>"); indexed, to answer "does any post still use this
  file?" before a file is removed. Posts with the same file share it, so
  images.path is no longer unique.
- images.thumbnail_path, thumbnail_width, thumbnail_height: the JPEG thumbnail.
- images.width and height may be NULL: a video has neither.

Every new column is NULL for the rows already there: their files keep their
old names and have no thumbnail, so the pages show them whole, as before, and
they are removed with their post as before (no other post shares them).

The downgrade drops the new columns (the videos' width and height become 0)
and makes path unique again: it fails, changing nothing, once two posts share
a file (0005's code would delete a shared file with either post).
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# The unique constraint 0001 put on images.path: PostgreSQL named it itself;
# SQLite's has no name, so the batch operation below gives it this one.
NAMING_CONVENTION = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def path_constraint():
    return "uq_images_path" if op.get_bind().dialect.name == "sqlite" else "images_path_key"


def upgrade():
    # batch_alter_table: SQLite cannot change a column or drop a constraint in
    # place, so Alembic copies the table (nothing refers to images); PostgreSQL
    # runs the ALTERs as they are.
    with op.batch_alter_table("images", naming_convention=NAMING_CONVENTION) as batch:
        batch.drop_constraint(path_constraint(), type_="unique")
        batch.add_column(sa.Column("sha256", sa.String(64), nullable=True))
        batch.add_column(sa.Column("thumbnail_path", sa.String(255), nullable=True))
        batch.add_column(sa.Column("thumbnail_width", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("thumbnail_height", sa.Integer(), nullable=True))
        batch.alter_column("width", existing_type=sa.Integer(), nullable=True)
        batch.alter_column("height", existing_type=sa.Integer(), nullable=True)
        batch.create_index("ix_images_sha256", ["sha256"])


def downgrade():
    op.execute("UPDATE images SET width = 0, height = 0 WHERE width IS NULL OR height IS NULL")
    with op.batch_alter_table("images") as batch:
        batch.drop_index("ix_images_sha256")
        batch.alter_column("width", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("height", existing_type=sa.Integer(), nullable=False)
        batch.drop_column("thumbnail_height")
        batch.drop_column("thumbnail_width")
        batch.drop_column("thumbnail_path")
        batch.drop_column("sha256")
        batch.create_unique_constraint(path_constraint(), ["path"])
