"""Core schema: forces, users, cases, requests, evidence, audit, notifications, shares, jobs.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-25 12:58:33.664814
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "force",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("contact_details", sa.String(length=1000), nullable=False),
        sa.Column("storage_backend", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_force")),
        sa.UniqueConstraint("slug", name=op.f("uq_force_slug")),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("object_type", sa.String(length=64), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("force_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["force_id"],
            ["force.id"],
            name=op.f("fk_audit_event_force_id_force"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
        sa.UniqueConstraint("force_id", "seq", name=op.f("uq_audit_event_force_id_seq")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_event_hash")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_force_id"), ["force_id"], unique=False)

    op.create_table(
        "force_plugin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plugin_id", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("force_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["force_id"],
            ["force.id"],
            name=op.f("fk_force_plugin_force_id_force"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_force_plugin")),
        sa.UniqueConstraint(
            "force_id", "plugin_id", name=op.f("uq_force_plugin_force_id_plugin_id")
        ),
    )
    with op.batch_alter_table("force_plugin", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_force_plugin_force_id"), ["force_id"], unique=False)

    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("force_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "QUEUED",
                "RUNNING",
                "SUCCEEDED",
                "FAILED",
                name="jobstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_by", sa.String(length=200), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["force_id"], ["force.id"], name=op.f("fk_job_force_id_force")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
    )
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.create_index("ix_job_claim", ["status", "run_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_job_force_id"), ["force_id"], unique=False)

    op.create_table(
        "plugin_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plugin_id", sa.String(length=64), nullable=False),
        sa.Column("hook", sa.String(length=100), nullable=False),
        sa.Column("error", sa.String(length=2000), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("force_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["force_id"],
            ["force.id"],
            name=op.f("fk_plugin_failure_force_id_force"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plugin_failure")),
    )
    with op.batch_alter_table("plugin_failure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plugin_failure_force_id"), ["force_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_plugin_failure_plugin_id"), ["plugin_id"], unique=False
        )

    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "AUDITOR",
                "OFFICER",
                "SUPERVISOR",
                "EVIDENCE_MANAGER",
                "FORCE_ADMIN",
                name="role",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("totp_secret", sa.String(length=500), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("force_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["force_id"],
            ["force.id"],
            name=op.f("fk_user_account_force_id_force"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("email", name=op.f("uq_user_account_email")),
    )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_account_force_id"), ["force_id"], unique=False)

    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("force_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["force_id"],
            ["force.id"],
            name=op.f("fk_api_token_force_id_force"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_api_token_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_force_id"), ["force_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_api_token_user_id"), ["user_id"], unique=False)

    op.create_table(
        "case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column(
            "status",
            sa.Enum("OPEN", "CLOSED", name="casestatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("force_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["force_id"], ["force.id"], name=op.f("fk_case_force_id_force"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["user_account.id"], name=op.f("fk_case_officer_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case")),
        sa.UniqueConstraint("force_id", "reference", name=op.f("uq_case_force_id_reference")),
    )
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_force_id"), ["force_id"], unique=False)

    op.create_table(
        "evidence_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("recipient_name", sa.String(length=200), nullable=False),
        sa.Column("recipient_phone", sa.String(length=32), nullable=True),
        sa.Column("recipient_email", sa.String(length=320), nullable=True),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("incident_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("incident_place", sa.String(length=300), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("max_files", sa.Integer(), nullable=False),
        sa.Column("max_file_bytes", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "CREATED",
                "SENT",
                "OPENED",
                "UPLOADING",
                "SUBMITTED",
                "EXPIRED",
                "REVOKED",
                name="requeststate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("force_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_evidence_request_case_id_case")
        ),
        sa.ForeignKeyConstraint(
            ["force_id"],
            ["force.id"],
            name=op.f("fk_evidence_request_force_id_force"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"],
            ["user_account.id"],
            name=op.f("fk_evidence_request_officer_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_request")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_evidence_request_token_hash")),
    )
    with op.batch_alter_table("evidence_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_request_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_evidence_request_force_id"), ["force_id"], unique=False
        )

    op.create_table(
        "share",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("allow_download", sa.Boolean(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("force_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_share_case_id_case")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["user_account.id"], name=op.f("fk_share_created_by_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["force_id"], ["force.id"], name=op.f("fk_share_force_id_force"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share")),
    )
    with op.batch_alter_table("share", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_share_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_share_force_id"), ["force_id"], unique=False)

    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("recipient_encrypted", sa.Text(), nullable=True),
        sa.Column("body_encrypted", sa.Text(), nullable=True),
        sa.Column("provider_reference", sa.String(length=200), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "QUEUED",
                "SENDING",
                "SENT",
                "DELIVERED",
                "FAILED_TEMPORARILY",
                "FAILED_PERMANENTLY",
                name="deliverystatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("force_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["force_id"],
            ["force.id"],
            name=op.f("fk_notification_force_id_force"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["evidence_request.id"],
            name=op.f("fk_notification_request_id_evidence_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_force_id"), ["force_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_notification_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("force_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["force_id"],
            ["force.id"],
            name=op.f("fk_submission_force_id_force"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["evidence_request.id"],
            name=op.f("fk_submission_request_id_evidence_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission")),
        sa.UniqueConstraint("reference", name=op.f("uq_submission_reference")),
    )
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_submission_force_id"), ["force_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_submission_request_id"), ["request_id"], unique=False)

    op.create_table(
        "evidence_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("storage_backend", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=500), nullable=False),
        sa.Column("original_filename", sa.String(length=500), nullable=False),
        sa.Column("caption", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("declared_type", sa.String(length=200), nullable=False),
        sa.Column("sniffed_type", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("capture_metadata", sa.JSON(), nullable=False),
        sa.Column(
            "review_state",
            sa.Enum(
                "PENDING",
                "ACCEPTED",
                "DECLINED",
                "QUARANTINED",
                "DISPOSED",
                name="reviewstate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("exhibit_reference", sa.String(length=64), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("retain_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("force_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_evidence_item_case_id_case")
        ),
        sa.ForeignKeyConstraint(
            ["force_id"],
            ["force.id"],
            name=op.f("fk_evidence_item_force_id_force"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_evidence_item_submission_id_submission"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_item")),
        sa.UniqueConstraint(
            "case_id", "exhibit_reference", name=op.f("uq_evidence_item_case_id_exhibit_reference")
        ),
    )
    with op.batch_alter_table("evidence_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_item_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evidence_item_force_id"), ["force_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evidence_item_sha256"), ["sha256"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_evidence_item_submission_id"), ["submission_id"], unique=False
        )

    op.create_table(
        "notification_status_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "QUEUED",
                "SENDING",
                "SENT",
                "DELIVERED",
                "FAILED_TEMPORARILY",
                "FAILED_PERMANENTLY",
                name="deliverystatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("detail", sa.String(length=1000), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("force_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["force_id"],
            ["force.id"],
            name=op.f("fk_notification_status_change_force_id_force"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notification.id"],
            name=op.f("fk_notification_status_change_notification_id_notification"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_status_change")),
    )
    with op.batch_alter_table("notification_status_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_status_change_force_id"), ["force_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_notification_status_change_notification_id"),
            ["notification_id"],
            unique=False,
        )

    op.create_table(
        "derivative",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("storage_backend", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=500), nullable=False),
        sa.Column("media_type", sa.String(length=200), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("processor", sa.String(length=100), nullable=False),
        sa.Column("tool", sa.String(length=200), nullable=False),
        sa.Column("tool_version", sa.String(length=100), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("input_sha256", sa.String(length=64), nullable=False),
        sa.Column("output_sha256", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("force_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["force_id"],
            ["force.id"],
            name=op.f("fk_derivative_force_id_force"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["evidence_item.id"], name=op.f("fk_derivative_item_id_evidence_item")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_derivative")),
    )
    with op.batch_alter_table("derivative", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_derivative_force_id"), ["force_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_derivative_item_id"), ["item_id"], unique=False)

    op.create_table(
        "share_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("share_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("derivative_id", sa.Integer(), nullable=True),
        sa.Column("original_reason", sa.String(length=500), nullable=False),
        sa.Column("force_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["derivative_id"],
            ["derivative.id"],
            name=op.f("fk_share_item_derivative_id_derivative"),
        ),
        sa.ForeignKeyConstraint(
            ["force_id"],
            ["force.id"],
            name=op.f("fk_share_item_force_id_force"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["evidence_item.id"], name=op.f("fk_share_item_item_id_evidence_item")
        ),
        sa.ForeignKeyConstraint(
            ["share_id"], ["share.id"], name=op.f("fk_share_item_share_id_share")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_item")),
        sa.UniqueConstraint("share_id", "item_id", name=op.f("uq_share_item_share_id_item_id")),
    )
    with op.batch_alter_table("share_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_share_item_force_id"), ["force_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_share_item_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_share_item_share_id"), ["share_id"], unique=False)

    _protect_audit_log()


# The audit log is append-only: the database itself refuses to change or remove an event.
_SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
    "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
)
_POSTGRES_TRIGGERS = (
    """CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'audit events are append-only'; END $$""",
    "CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event "
    "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
    "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()",
)


def _protect_audit_log() -> None:
    dialect = op.get_bind().dialect.name
    for statement in _POSTGRES_TRIGGERS if dialect == "postgresql" else _SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_event_no_change ON audit_event")
        op.execute("DROP TRIGGER audit_event_no_truncate ON audit_event")
        op.execute("DROP FUNCTION audit_event_append_only()")
    with op.batch_alter_table("share_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_share_item_share_id"))
        batch_op.drop_index(batch_op.f("ix_share_item_item_id"))
        batch_op.drop_index(batch_op.f("ix_share_item_force_id"))

    op.drop_table("share_item")
    with op.batch_alter_table("derivative", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_derivative_item_id"))
        batch_op.drop_index(batch_op.f("ix_derivative_force_id"))

    op.drop_table("derivative")
    with op.batch_alter_table("notification_status_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_status_change_notification_id"))
        batch_op.drop_index(batch_op.f("ix_notification_status_change_force_id"))

    op.drop_table("notification_status_change")
    with op.batch_alter_table("evidence_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_item_submission_id"))
        batch_op.drop_index(batch_op.f("ix_evidence_item_sha256"))
        batch_op.drop_index(batch_op.f("ix_evidence_item_force_id"))
        batch_op.drop_index(batch_op.f("ix_evidence_item_case_id"))

    op.drop_table("evidence_item")
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submission_request_id"))
        batch_op.drop_index(batch_op.f("ix_submission_force_id"))

    op.drop_table("submission")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_request_id"))
        batch_op.drop_index(batch_op.f("ix_notification_force_id"))

    op.drop_table("notification")
    with op.batch_alter_table("share", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_share_force_id"))
        batch_op.drop_index(batch_op.f("ix_share_case_id"))

    op.drop_table("share")
    with op.batch_alter_table("evidence_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_request_force_id"))
        batch_op.drop_index(batch_op.f("ix_evidence_request_case_id"))

    op.drop_table("evidence_request")
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_force_id"))

    op.drop_table("case")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_user_id"))
        batch_op.drop_index(batch_op.f("ix_api_token_force_id"))

    op.drop_table("api_token")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_account_force_id"))

    op.drop_table("user_account")
    with op.batch_alter_table("plugin_failure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plugin_failure_plugin_id"))
        batch_op.drop_index(batch_op.f("ix_plugin_failure_force_id"))

    op.drop_table("plugin_failure")
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_force_id"))
        batch_op.drop_index("ix_job_claim")

    op.drop_table("job")
    with op.batch_alter_table("force_plugin", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_force_plugin_force_id"))

    op.drop_table("force_plugin")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_force_id"))
        batch_op.drop_index(batch_op.f("ix_audit_event_action"))

    op.drop_table("audit_event")
    op.drop_table("force")
