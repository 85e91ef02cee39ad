"""rollup snapshot parts: a rerun points to the figures it reuses instead of copying them

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 05:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

COVERAGE = "('INDICATORS_WITH_DATA', 'COVERAGE')"
FIGURE_COLUMNS = "indicator_id, breakdown, year, statistic, value, unit, economies"


def upgrade() -> None:
    op.create_table('rollup_snapshot_parts',
    sa.Column('snapshot_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.String(length=16), nullable=False),
    sa.Column('source_snapshot_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('figures', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['snapshot_id'], ['rollup_snapshots.id'], name=op.f('fk_rollup_snapshot_parts_snapshot_id_rollup_snapshots')),
    sa.ForeignKeyConstraint(['source_snapshot_id'], ['rollup_snapshots.id'], name=op.f('fk_rollup_snapshot_parts_source_snapshot_id_rollup_snapshots')),
    sa.PrimaryKeyConstraint('snapshot_id', 'position', name=op.f('pk_rollup_snapshot_parts'))
    )
    # Every snapshot so far holds all its figures: one part per indicator, pointing to itself,
    # ordered as its rows were.
    op.execute(
        "INSERT INTO rollup_snapshot_parts (snapshot_id, position, indicator_id, source_snapshot_id, figures) "
        "SELECT snapshot_id, ROW_NUMBER() OVER (PARTITION BY snapshot_id ORDER BY MIN(id)) - 1, indicator_id, "
        "snapshot_id, COUNT(*) FROM rollup_figures "
        f"WHERE statistic NOT IN {COVERAGE} GROUP BY snapshot_id, indicator_id"
    )
    with op.batch_alter_table('rollup_figures', schema=None) as batch_op:
        batch_op.create_index('ix_rollup_figures_snapshot_indicator', ['snapshot_id', 'indicator_id'], unique=False)
        batch_op.drop_index(batch_op.f('ix_rollup_figures_snapshot_id'))


def downgrade() -> None:
    # Before this revision a snapshot held a copy of every figure: copy what each borrows, in
    # its parts' order and then its coverage, and drop the rows it held before.
    bind = op.get_bind()
    borrowers = [
        row[0]
        for row in bind.execute(
            sa.text("SELECT DISTINCT snapshot_id FROM rollup_snapshot_parts WHERE source_snapshot_id != snapshot_id")
        )
    ]
    if borrowers:
        last = bind.execute(sa.text("SELECT MAX(id) FROM rollup_figures")).scalar() or 0
        ids = ", ".join(str(int(i)) for i in borrowers)
        op.execute(
            f"INSERT INTO rollup_figures (snapshot_id, {FIGURE_COLUMNS}) "
            f"SELECT p.snapshot_id, {', '.join('f.' + c.strip() for c in FIGURE_COLUMNS.split(','))} "
            "FROM rollup_snapshot_parts p JOIN rollup_figures f "
            "ON f.snapshot_id = p.source_snapshot_id AND f.indicator_id = p.indicator_id "
            f"WHERE p.snapshot_id IN ({ids}) AND f.statistic NOT IN {COVERAGE} ORDER BY p.snapshot_id, p.position, f.id"
        )
        op.execute(
            f"INSERT INTO rollup_figures (snapshot_id, {FIGURE_COLUMNS}) SELECT snapshot_id, {FIGURE_COLUMNS} "
            f"FROM rollup_figures WHERE snapshot_id IN ({ids}) AND statistic IN {COVERAGE} AND id <= {int(last)} "
            "ORDER BY snapshot_id, id"
        )
        op.execute(f"DELETE FROM rollup_figures WHERE snapshot_id IN ({ids}) AND id <= {int(last)}")
    with op.batch_alter_table('rollup_figures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rollup_figures_snapshot_id'), ['snapshot_id'], unique=False)
        batch_op.drop_index('ix_rollup_figures_snapshot_indicator')
    op.drop_table('rollup_snapshot_parts')
