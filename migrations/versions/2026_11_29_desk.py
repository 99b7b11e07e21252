"""desk: officers' reviews, background model jobs, indexes for the queue

Creates `reviews` (each officer decision with the labels before and after it and the model's
own labels) and `desk_jobs` (train / evaluate / promote runs started from the model page), and
adds the index the "same theme, same region" panel and the near-duplicate search read
assistance requests through.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 23:59:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reviews",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("reviewer_id", sa.Uuid(), nullable=True),
        sa.Column("reviewer", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("model_version", sa.String(length=80), nullable=True),
        sa.Column("model_decision", sa.String(length=20), nullable=True),
        sa.Column("model_area", sa.String(length=40), nullable=True),
        sa.Column("model_labels", sa.JSON(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("overridden", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "action IN ('confirm', 'correct', 'out_of_scope', 'duplicate')",
            name=op.f("ck_reviews_action"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["assistance_requests.id"],
            name=op.f("fk_reviews_request_id_assistance_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["users.id"],
            name=op.f("fk_reviews_reviewer_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviews_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            "ix_reviews_request_id_created_at", ["request_id", "created_at"], unique=False
        )

    op.create_table(
        "desk_jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("step", sa.String(length=200), nullable=True),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("output", sa.Text(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("host", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('train', 'evaluate', 'promote')", name=op.f("ck_desk_jobs_kind")
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed')",
            name=op.f("ck_desk_jobs_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_jobs")),
    )
    with op.batch_alter_table("desk_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_desk_jobs_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_desk_jobs_status"), ["status"], unique=False)

    with op.batch_alter_table("assistance_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assistance_requests_primary_area_received",
            ["primary_area", "received_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("assistance_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_assistance_requests_primary_area_received")

    with op.batch_alter_table("desk_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_jobs_status"))
        batch_op.drop_index(batch_op.f("ix_desk_jobs_created_at"))
    op.drop_table("desk_jobs")

    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_reviews_request_id_created_at")
        batch_op.drop_index(batch_op.f("ix_reviews_created_at"))
    op.drop_table("reviews")
