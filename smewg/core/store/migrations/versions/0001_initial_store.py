"""initial store: catalogue, cycles, submissions, outbox, rollups, reviews

Revision ID: 0001
Revises: 
Create Date: 2026-11-29 00:21:15.474316
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('economies',
    sa.Column('code', sa.String(length=3), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('alpha2', sa.String(length=2), nullable=False),
    sa.Column('apec_order', sa.Integer(), nullable=False),
    sa.Column('aliases', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_economies')),
    sa.UniqueConstraint('alpha2', name=op.f('uq_economies_alpha2')),
    sa.UniqueConstraint('name', name=op.f('uq_economies_name'))
    )
    op.create_table('plans',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=True),
    sa.Column('period_start', sa.Integer(), nullable=False),
    sa.Column('period_end', sa.Integer(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('critical_success_factors', sa.JSON(), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans'))
    )
    op.create_table('cycles',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('plan_id', sa.String(length=64), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_cycles_plan_id_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cycles')),
    sa.UniqueConstraint('plan_id', 'year', name=op.f('uq_cycles_plan_id_year'))
    )
    op.create_table('notifications',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('dedupe_key', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=100), nullable=False),
    sa.Column('economy_code', sa.String(length=3), nullable=True),
    sa.Column('cycle_year', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('blocks', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('reminder', 'escalation', 'missed_deadline', 'acknowledgement', 'failure', 'review')", name=op.f('ck_notifications_kind')),
    sa.CheckConstraint("status IN ('pending', 'delivered', 'failed')", name=op.f('ck_notifications_status')),
    sa.ForeignKeyConstraint(['economy_code'], ['economies.code'], name=op.f('fk_notifications_economy_code_economies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_notifications_dedupe_key'))
    )
    op.create_table('plan_economies',
    sa.Column('plan_id', sa.String(length=64), nullable=False),
    sa.Column('economy_code', sa.String(length=3), nullable=False),
    sa.ForeignKeyConstraint(['economy_code'], ['economies.code'], name=op.f('fk_plan_economies_economy_code_economies')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_plan_economies_plan_id_plans')),
    sa.PrimaryKeyConstraint('plan_id', 'economy_code', name=op.f('pk_plan_economies'))
    )
    op.create_table('priority_areas',
    sa.Column('plan_id', sa.String(length=64), nullable=False),
    sa.Column('id', sa.String(length=8), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('success_factors', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_priority_areas_plan_id_plans')),
    sa.PrimaryKeyConstraint('plan_id', 'id', name=op.f('pk_priority_areas'))
    )
    op.create_table('review_milestones',
    sa.Column('plan_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('reported_by', sa.String(length=200), nullable=False),
    sa.Column('audience', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_review_milestones_plan_id_plans')),
    sa.PrimaryKeyConstraint('plan_id', 'kind', name=op.f('pk_review_milestones'))
    )
    op.create_table('review_versions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('plan_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('snapshot_ids', sa.JSON(), nullable=False),
    sa.Column('html_path', sa.String(length=1000), nullable=True),
    sa.Column('pdf_path', sa.String(length=1000), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_review_versions_plan_id_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_versions')),
    sa.UniqueConstraint('plan_id', 'kind', 'version', name=op.f('uq_review_versions_plan_id_kind_version'))
    )
    op.create_table('objectives',
    sa.Column('plan_id', sa.String(length=64), nullable=False),
    sa.Column('id', sa.String(length=8), nullable=False),
    sa.Column('priority_id', sa.String(length=8), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['plan_id', 'priority_id'], ['priority_areas.plan_id', 'priority_areas.id'], name=op.f('fk_objectives_plan_id_priority_id_priority_areas')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_objectives_plan_id_plans')),
    sa.PrimaryKeyConstraint('plan_id', 'id', name=op.f('pk_objectives'))
    )
    op.create_table('rollup_snapshots',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('cycle_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('inputs_key', sa.String(length=64), nullable=False),
    sa.Column('submission_ids', sa.JSON(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_rollup_snapshots_cycle_id_cycles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rollup_snapshots')),
    sa.UniqueConstraint('cycle_id', 'inputs_key', name=op.f('uq_rollup_snapshots_cycle_id_inputs_key'))
    )
    op.create_table('submissions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('cycle_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('economy_code', sa.String(length=3), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=500), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('superseded_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('rows_accepted', sa.Integer(), nullable=False),
    sa.Column('rows_quarantined', sa.Integer(), nullable=False),
    sa.Column('rows_flagged', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('accepted', 'rejected', 'superseded')", name=op.f('ck_submissions_status')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_submissions_cycle_id_cycles')),
    sa.ForeignKeyConstraint(['economy_code'], ['economies.code'], name=op.f('fk_submissions_economy_code_economies')),
    sa.ForeignKeyConstraint(['superseded_by_id'], ['submissions.id'], name=op.f('fk_submissions_superseded_by_id_submissions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submissions')),
    sa.UniqueConstraint('cycle_id', 'economy_code', 'checksum', name=op.f('uq_submissions_cycle_id_economy_code_checksum')),
    sa.UniqueConstraint('cycle_id', 'economy_code', 'version', name=op.f('uq_submissions_cycle_id_economy_code_version'))
    )
    op.create_table('indicators',
    sa.Column('plan_id', sa.String(length=64), nullable=False),
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('objective_id', sa.String(length=8), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('breakdowns', sa.JSON(), nullable=False),
    sa.Column('group_name', sa.String(length=100), nullable=True),
    sa.CheckConstraint("kind IN ('count', 'percent', 'amount')", name=op.f('ck_indicators_kind')),
    sa.ForeignKeyConstraint(['plan_id', 'objective_id'], ['objectives.plan_id', 'objectives.id'], name=op.f('fk_indicators_plan_id_objective_id_objectives')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_indicators_plan_id_plans')),
    sa.PrimaryKeyConstraint('plan_id', 'id', name=op.f('pk_indicators'))
    )
    op.create_table('observations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('submission_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.String(length=16), nullable=False),
    sa.Column('breakdown', sa.String(length=32), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('raw_value', sa.String(length=100), nullable=True),
    sa.Column('unit', sa.String(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.CheckConstraint("status IN ('accepted', 'flagged', 'quarantined')", name=op.f('ck_observations_status')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_observations_submission_id_submissions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_observations'))
    )
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.create_index('ix_observations_submission_indicator', ['submission_id', 'indicator_id'], unique=False)

    op.create_table('rollup_figures',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('snapshot_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('indicator_id', sa.String(length=16), nullable=False),
    sa.Column('breakdown', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('statistic', sa.String(length=32), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('unit', sa.String(length=16), nullable=True),
    sa.Column('economies', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['snapshot_id'], ['rollup_snapshots.id'], name=op.f('fk_rollup_figures_snapshot_id_rollup_snapshots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rollup_figures'))
    )
    with op.batch_alter_table('rollup_figures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rollup_figures_snapshot_id'), ['snapshot_id'], unique=False)

    op.create_table('validation_results',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('submission_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('suite_name', sa.String(length=100), nullable=False),
    sa.Column('success', sa.Boolean(), nullable=False),
    sa.Column('evaluated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('statistics', sa.JSON(), nullable=False),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.Column('data_docs_path', sa.String(length=1000), nullable=True),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_validation_results_submission_id_submissions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_validation_results'))
    )
    with op.batch_alter_table('validation_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_validation_results_submission_id'), ['submission_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('validation_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_validation_results_submission_id'))

    op.drop_table('validation_results')
    with op.batch_alter_table('rollup_figures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rollup_figures_snapshot_id'))

    op.drop_table('rollup_figures')
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.drop_index('ix_observations_submission_indicator')

    op.drop_table('observations')
    op.drop_table('indicators')
    op.drop_table('submissions')
    op.drop_table('rollup_snapshots')
    op.drop_table('objectives')
    op.drop_table('review_versions')
    op.drop_table('review_milestones')
    op.drop_table('priority_areas')
    op.drop_table('plan_economies')
    op.drop_table('notifications')
    op.drop_table('cycles')
    op.drop_table('plans')
    op.drop_table('economies')
