"""dispatch: working-group queue columns, working-group keys, webhooks

Adds to `assignments` the columns of the working-group queue (stream entry, claim, delivery
count, dead-letter flag) and creates `working_group_keys`, `webhook_subscriptions`,
`webhook_deliveries` and `webhook_attempts`.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 23:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stream_entry_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=80), nullable=True))
        batch_op.add_column(
            sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("delivery_count", sa.Integer(), server_default=sa.text("0"),
                      nullable=False)
        )
        batch_op.add_column(
            sa.Column("dead_lettered_at", sa.DateTime(timezone=True), nullable=True)
        )

    op.create_table(
        "working_group_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("working_group_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("key_prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["working_group_id"], ["working_groups.id"],
            name=op.f("fk_working_group_keys_working_group_id_working_groups"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_working_group_keys")),
        sa.UniqueConstraint("key_prefix", name=op.f("uq_working_group_keys_key_prefix")),
    )
    with op.batch_alter_table("working_group_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_working_group_keys_working_group_id"), ["working_group_id"],
            unique=False,
        )

    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("portal_client_id", sa.Uuid(), nullable=True),
        sa.Column("working_group_id", sa.String(length=40), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(portal_client_id IS NULL) <> (working_group_id IS NULL)",
            name=op.f("ck_webhook_subscriptions_one_owner"),
        ),
        sa.ForeignKeyConstraint(
            ["portal_client_id"], ["portal_clients.id"],
            name=op.f("fk_webhook_subscriptions_portal_client_id_portal_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["working_group_id"], ["working_groups.id"],
            name=op.f("fk_webhook_subscriptions_working_group_id_working_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscriptions")),
    )
    with op.batch_alter_table("webhook_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_subscriptions_portal_client_id"), ["portal_client_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_webhook_subscriptions_working_group_id"), ["working_group_id"],
            unique=False,
        )

    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=True),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"], ["assistance_requests.id"],
            name=op.f("fk_webhook_deliveries_request_id_assistance_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"], ["webhook_subscriptions.id"],
            name=op.f("fk_webhook_deliveries_subscription_id_webhook_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_deliveries_due", ["status", "next_attempt_at"],
                              unique=False)
        batch_op.create_index(
            batch_op.f("ix_webhook_deliveries_request_id"), ["request_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_webhook_deliveries_subscription_id"), ["subscription_id"],
            unique=False,
        )

    op.create_table(
        "webhook_attempts",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["webhook_deliveries.id"],
            name=op.f("fk_webhook_attempts_delivery_id_webhook_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
    )
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_attempts_delivery_id"), ["delivery_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_attempts_delivery_id"))
    op.drop_table("webhook_attempts")

    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_deliveries_subscription_id"))
        batch_op.drop_index(batch_op.f("ix_webhook_deliveries_request_id"))
        batch_op.drop_index("ix_webhook_deliveries_due")
    op.drop_table("webhook_deliveries")

    with op.batch_alter_table("webhook_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_subscriptions_working_group_id"))
        batch_op.drop_index(batch_op.f("ix_webhook_subscriptions_portal_client_id"))
    op.drop_table("webhook_subscriptions")

    with op.batch_alter_table("working_group_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_working_group_keys_working_group_id"))
    op.drop_table("working_group_keys")

    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_column("dead_lettered_at")
        batch_op.drop_column("delivery_count")
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("stream_entry_id")
