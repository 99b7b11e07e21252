"""drop two indexes that composite ones already cover

`ix_assistance_requests_received_at` (received_at) leads
`ix_assistance_requests_received_version` (received_at, version, id), and
`ix_assistance_requests_primary_area` (primary_area) leads
`ix_assistance_requests_primary_area_received` (primary_area, received_at): every query the
single-column ones served, the composites serve as well. Each request wrote both on insert
and again on every status change.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 08:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("assistance_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_assistance_requests_received_at")
        batch_op.drop_index(batch_op.f("ix_assistance_requests_primary_area"))


def downgrade() -> None:
    with op.batch_alter_table("assistance_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assistance_requests_primary_area"), ["primary_area"], unique=False
        )
        batch_op.create_index("ix_assistance_requests_received_at", ["received_at"], unique=False)
