"""cycle steps as the annual-cycle flow ran them

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 12:45:00
"""

from alembic import op
import sqlalchemy as sa



revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'cycle_steps',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('plan_id', sa.String(length=64), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('step', sa.String(length=60), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('run_on', sa.Date(), nullable=False),
        sa.Column('flow_run_id', sa.String(length=64), nullable=True),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_cycle_steps_plan_id_plans')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_cycle_steps')),
        sa.UniqueConstraint('plan_id', 'year', 'step', 'due_on', name=op.f('uq_cycle_steps_plan_id_year_step_due_on')),
    )


def downgrade() -> None:
    op.drop_table('cycle_steps')
