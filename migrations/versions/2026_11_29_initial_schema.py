"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-29 23:37:25.900673
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


AUDIT_GUARD = """
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
"""


def upgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_attempts_address"), ["address"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_login_attempts_attempted_at"), ["attempted_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_login_attempts_username"), ["username"], unique=False)

    op.create_table(
        "model_versions",
        sa.Column("version", sa.String(length=80), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("card", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("validation_top1", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_model_versions")),
    )
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_model_versions_is_active"), ["is_active"], unique=False
        )

    op.create_table(
        "portal_clients",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("state_iso3", sa.String(length=3), nullable=False),
        sa.Column("key_prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_clients")),
        sa.UniqueConstraint("key_prefix", name=op.f("uq_portal_clients_key_prefix")),
    )
    with op.batch_alter_table("portal_clients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_clients_state_iso3"), ["state_iso3"], unique=False
        )

    op.create_table(
        "reference_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_reference_counters")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('officer', 'admin')", name=op.f("ck_users_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "working_groups",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("as_of", sa.String(length=10), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("sla_dispatch_hours", sa.Integer(), nullable=False),
        sa.Column("sla_ack_hours", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_working_groups")),
    )
    op.create_table(
        "assistance_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("requesting_state", sa.String(length=3), nullable=False),
        sa.Column("portal_client_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("contact", sa.String(length=500), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("language_hint", sa.String(length=8), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("review_reason", sa.String(length=200), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("triaged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("primary_area", sa.String(length=40), nullable=True),
        sa.Column("working_group_id", sa.String(length=40), nullable=True),
        sa.Column("current_triage_id", sa.Uuid(), nullable=True),
        sa.Column("duplicate_of_id", sa.Uuid(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("idempotency_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('received', 'triaged', 'needs_review', 'dispatched', 'acknowledged', 'in_progress', 'completed', 'declined', 'out_of_scope', 'duplicate')",
            name=op.f("ck_assistance_requests_status"),
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"],
            ["assistance_requests.id"],
            name=op.f("fk_assistance_requests_duplicate_of_id_assistance_requests"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["portal_client_id"],
            ["portal_clients.id"],
            name=op.f("fk_assistance_requests_portal_client_id_portal_clients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistance_requests")),
        sa.UniqueConstraint(
            "portal_client_id",
            "idempotency_key",
            name=op.f("uq_assistance_requests_portal_client_id_idempotency_key"),
        ),
        sa.UniqueConstraint("reference", name=op.f("uq_assistance_requests_reference")),
    )
    with op.batch_alter_table("assistance_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assistance_requests_primary_area"), ["primary_area"], unique=False
        )
        batch_op.create_index("ix_assistance_requests_received_at", ["received_at"], unique=False)
        batch_op.create_index(
            "ix_assistance_requests_state_received",
            ["requesting_state", "received_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_assistance_requests_status_received", ["status", "received_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_assistance_requests_working_group_id"),
            ["working_group_id"],
            unique=False,
        )

    op.create_table(
        "desk_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_desk_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_desk_sessions_token_hash")),
    )
    with op.batch_alter_table("desk_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_desk_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "routing_rules",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("area_id", sa.String(length=40), nullable=False),
        sa.Column("working_group_id", sa.String(length=40), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["working_group_id"],
            ["working_groups.id"],
            name=op.f("fk_routing_rules_working_group_id_working_groups"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_rules")),
    )
    with op.batch_alter_table("routing_rules", schema=None) as batch_op:
        batch_op.create_index(
            "ix_routing_rules_area_valid_from", ["area_id", "valid_from"], unique=False
        )

    op.create_table(
        "assignments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("working_group_id", sa.String(length=40), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["assistance_requests.id"],
            name=op.f("fk_assignments_request_id_assistance_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
        sa.UniqueConstraint(
            "request_id",
            "working_group_id",
            name=op.f("uq_assignments_request_id_working_group_id"),
        ),
    )
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assignments_group_status", ["working_group_id", "status"], unique=False
        )

    op.create_table(
        "attachments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("has_text_layer", sa.Boolean(), nullable=False),
        sa.Column("extracted_text", sa.Text(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["assistance_requests.id"],
            name=op.f("fk_attachments_request_id_assistance_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachments_request_id"), ["request_id"], unique=False)

    op.create_table(
        "audit_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_type", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=80), nullable=True),
        sa.Column("actor_label", sa.String(length=200), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["assistance_requests.id"],
            name=op.f("fk_audit_events_request_id_assistance_requests"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_events_request_id_occurred_at", ["request_id", "occurred_at"], unique=False
        )

    op.create_table(
        "outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("working_group_id", sa.String(length=40), nullable=False),
        sa.Column("topic", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["assistance_requests.id"],
            name=op.f("fk_outbox_request_id_assistance_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint(
            "request_id",
            "working_group_id",
            "topic",
            name=op.f("uq_outbox_request_id_working_group_id_topic"),
        ),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_pending", ["published_at", "available_at"], unique=False)

    op.create_table(
        "request_areas",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("area_id", sa.String(length=40), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["assistance_requests.id"],
            name=op.f("fk_request_areas_request_id_assistance_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("request_id", "area_id", name=op.f("pk_request_areas")),
    )
    with op.batch_alter_table("request_areas", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_request_areas_area_id"), ["area_id"], unique=False)

    op.create_table(
        "request_paragraphs",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["assistance_requests.id"],
            name=op.f("fk_request_paragraphs_request_id_assistance_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("request_id", "number", name=op.f("pk_request_paragraphs")),
    )
    with op.batch_alter_table("request_paragraphs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_request_paragraphs_number"), ["number"], unique=False)

    op.create_table(
        "training_examples",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("paragraphs", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["assistance_requests.id"],
            name=op.f("fk_training_examples_request_id_assistance_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_examples")),
    )
    with op.batch_alter_table("training_examples", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_examples_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "triage_results",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("model_version", sa.String(length=80), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("scope_score", sa.Float(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("paragraphs", sa.JSON(), nullable=False),
        sa.Column("working_group_id", sa.String(length=40), nullable=True),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["assistance_requests.id"],
            name=op.f("fk_triage_results_request_id_assistance_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_results")),
    )
    with op.batch_alter_table("triage_results", schema=None) as batch_op:
        batch_op.create_index(
            "ix_triage_results_request_id_created_at", ["request_id", "created_at"], unique=False
        )

    if op.get_bind().dialect.name == "postgresql":
        # The audit trail is evidence: the database itself refuses to rewrite it.
        op.execute(AUDIT_GUARD)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    with op.batch_alter_table("triage_results", schema=None) as batch_op:
        batch_op.drop_index("ix_triage_results_request_id_created_at")

    op.drop_table("triage_results")
    with op.batch_alter_table("training_examples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_examples_request_id"))

    op.drop_table("training_examples")
    with op.batch_alter_table("request_paragraphs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_paragraphs_number"))

    op.drop_table("request_paragraphs")
    with op.batch_alter_table("request_areas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_areas_area_id"))

    op.drop_table("request_areas")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_pending")

    op.drop_table("outbox")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_request_id_occurred_at")

    op.drop_table("audit_events")
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachments_request_id"))

    op.drop_table("attachments")
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_assignments_group_status")

    op.drop_table("assignments")
    with op.batch_alter_table("routing_rules", schema=None) as batch_op:
        batch_op.drop_index("ix_routing_rules_area_valid_from")

    op.drop_table("routing_rules")
    with op.batch_alter_table("desk_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_sessions_user_id"))

    op.drop_table("desk_sessions")
    with op.batch_alter_table("assistance_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assistance_requests_working_group_id"))
        batch_op.drop_index("ix_assistance_requests_status_received")
        batch_op.drop_index("ix_assistance_requests_state_received")
        batch_op.drop_index("ix_assistance_requests_received_at")
        batch_op.drop_index(batch_op.f("ix_assistance_requests_primary_area"))

    op.drop_table("assistance_requests")
    op.drop_table("working_groups")
    op.drop_table("users")
    op.drop_table("reference_counters")
    with op.batch_alter_table("portal_clients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_clients_state_iso3"))

    op.drop_table("portal_clients")
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_model_versions_is_active"))

    op.drop_table("model_versions")
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_attempts_username"))
        batch_op.drop_index(batch_op.f("ix_login_attempts_attempted_at"))
        batch_op.drop_index(batch_op.f("ix_login_attempts_address"))

    op.drop_table("login_attempts")
