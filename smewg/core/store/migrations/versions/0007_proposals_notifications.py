"""notifications of ranked project proposals

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 18:10:00
"""

from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

BEFORE = "kind IN ('reminder', 'escalation', 'missed_deadline', 'acknowledgement', 'failure', 'review')"
AFTER = "kind IN ('reminder', 'escalation', 'missed_deadline', 'acknowledgement', 'failure', 'review', 'proposals')"


def _kinds(condition: str) -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notifications_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_notifications_kind'), condition)


def upgrade() -> None:
    _kinds(AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE kind = 'proposals'")
    _kinds(BEFORE)
