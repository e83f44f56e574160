"""h20u_urgent_indexes: the urgency filter on the active statuses served in its order (partial
indexes on urgent active threads, by priority and by due time)

Revision ID: h20u_urgent_indexes
Revises: h20db_urgency_bits
Create Date: 2026-12-07 19:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'h20u_urgent_indexes'
down_revision = 'h20db_urgency_bits'
branch_labels = None
depends_on = None

URGENT_ACTIVE = "urgency_bits > 0 AND status IN ('new', 'open', 'waiting')"


def upgrade():
    for name, column in (('ix_threads_active_urgent', 'priority'),
                         ('ix_threads_active_urgent_sla', 'sla_due')):
        op.create_index(name, 'threads', [column, 'id'], unique=False,
                        sqlite_where=sa.text(URGENT_ACTIVE),
                        postgresql_where=sa.text(URGENT_ACTIVE))


def downgrade():
    op.drop_index('ix_threads_active_urgent_sla', table_name='threads')
    op.drop_index('ix_threads_active_urgent', table_name='threads')
