"""report definitions, schedules, runs (exactly-once claims) and in-app notifications

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _workspace_fk():
    return sa.Column(
        "workspace_id", sa.Integer, sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "report_definitions",
        sa.Column("id", sa.Integer, primary_key=True),
        _workspace_fk(),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("spec_json", sa.Text, nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("workspace_id", "name", name="uq_report_definition_workspace_name"),
    )
    op.create_index("ix_report_definitions_workspace_id", "report_definitions", ["workspace_id"])
    op.create_table(
        "report_schedules",
        sa.Column("id", sa.Integer, primary_key=True),
        _workspace_fk(),
        sa.Column(
            "definition_id",
            sa.Integer,
            sa.ForeignKey("report_definitions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("rule_json", sa.Text, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("formats", sa.String(32), nullable=False),
        sa.Column("recipients", sa.Text, nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("intro", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_report_schedules_workspace_id", "report_schedules", ["workspace_id"])
    op.create_index("ix_report_schedules_definition_id", "report_schedules", ["definition_id"])
    op.create_table(
        "report_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        _workspace_fk(),
        sa.Column(
            "schedule_id",
            sa.Integer,
            sa.ForeignKey("report_schedules.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("occurrence_key", sa.String(200), nullable=False),
        sa.Column("occurrence_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_start", sa.Date, nullable=True),
        sa.Column("period_end", sa.Date, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("lease_owner", sa.String(120), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("recipients", sa.Text, nullable=False),
        sa.Column("bytes", sa.Integer, nullable=False),
        sa.Column("duration_ms", sa.Float, nullable=True),
        sa.Column("files_json", sa.Text, nullable=False),
        sa.Column(
            "resend_of", sa.Integer, sa.ForeignKey("report_runs.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("occurrence_key", name="uq_report_run_occurrence"),
    )
    op.create_index("ix_report_runs_workspace_id", "report_runs", ["workspace_id"])
    op.create_index("ix_report_runs_schedule_id", "report_runs", ["schedule_id"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True),
        _workspace_fk(),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("emailed", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_notifications_workspace_id", "notifications", ["workspace_id"])


def downgrade() -> None:
    op.drop_table("notifications")
    op.drop_table("report_runs")
    op.drop_table("report_schedules")
    op.drop_table("report_definitions")
