"""rollup snapshot details

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 01:11:04.037670
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('rollup_snapshots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('details', sa.JSON(), server_default=sa.text("'{}'"), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('rollup_snapshots', schema=None) as batch_op:
        batch_op.drop_column('details')

