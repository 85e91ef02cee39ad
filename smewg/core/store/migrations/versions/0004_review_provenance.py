"""review versions: inputs key, as_of and provenance details

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 12:10:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('review_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inputs_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('as_of', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('details', sa.JSON(), server_default=sa.text("'{}'"), nullable=False))
        batch_op.create_unique_constraint(batch_op.f('uq_review_versions_plan_id_kind_inputs_key'), ['plan_id', 'kind', 'inputs_key'])


def downgrade() -> None:
    with op.batch_alter_table('review_versions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_review_versions_plan_id_kind_inputs_key'), type_='unique')
        batch_op.drop_column('details')
        batch_op.drop_column('as_of')
        batch_op.drop_column('inputs_key')
