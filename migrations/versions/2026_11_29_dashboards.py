"""dashboards: request facts, closed-month snapshots, read indexes

Creates `dashboard_request_facts` (a narrow, versioned copy of what the dashboards group each
request by, labels as bit sets) and `dashboard_month_snapshots` (the final event figures of
closed months, and of the days already over in the current one), and adds the covering
indexes the dashboards read requests, assignments and reviews through by time.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

READ_INDEXES = {
    "assistance_requests": [
        ("ix_assistance_requests_received_version", ["received_at", "version", "id"]),
        ("ix_assistance_requests_decision_received", ["decision", "received_at"]),
    ],
    "assignments": [
        ("ix_assignments_created_at_group", ["created_at", "working_group_id", "dispatched_at"]),
        (
            "ix_assignments_dispatched_at_group",
            ["dispatched_at", "working_group_id", "created_at", "acknowledged_at"],
        ),
        (
            "ix_assignments_acknowledged_at_group",
            ["acknowledged_at", "working_group_id", "dispatched_at"],
        ),
        ("ix_assignments_closed_at_group", ["closed_at", "working_group_id", "status"]),
    ],
    "reviews": [
        (
            "ix_reviews_created_at_decision",
            [
                "created_at",
                "model_decision",
                "request_id",
                "action",
                "overridden",
                "model_area",
                "language",
            ],
        ),
    ],
}


def upgrade() -> None:
    op.create_table(
        "dashboard_request_facts",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("requesting_state", sa.String(length=3), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("working_group_id", sa.String(length=40), nullable=True),
        sa.Column("triage_seconds", sa.Float(), nullable=True),
        sa.Column("areas", sa.Integer(), nullable=False),
        sa.Column("paragraphs", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["assistance_requests.id"],
            name=op.f("fk_dashboard_request_facts_request_id_assistance_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_dashboard_request_facts")),
    )
    with op.batch_alter_table("dashboard_request_facts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_dashboard_request_facts_received_version",
            ["received_at", "version"],
            unique=False,
        )
    op.create_table(
        "dashboard_month_snapshots",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("format", sa.Integer(), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_dashboard_month_snapshots")),
    )
    for table, indexes in READ_INDEXES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, columns in indexes:
                batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    for table, indexes in READ_INDEXES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _ in reversed(indexes):
                batch_op.drop_index(name)
    op.drop_table("dashboard_month_snapshots")
    with op.batch_alter_table("dashboard_request_facts", schema=None) as batch_op:
        batch_op.drop_index("ix_dashboard_request_facts_received_version")
    op.drop_table("dashboard_request_facts")
