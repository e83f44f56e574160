"""h20c_urgent_all_channel_dates: the urgency filter on every status served in its order
(partial indexes on urgent threads, newest and most urgent first), and a channel's counts
per status over opening dates served by one index range

Revision ID: h20c_urgent_all_channel_dates
Revises: h20u_urgent_indexes
Create Date: 2026-12-08 02:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'h20c_urgent_all_channel_dates'
down_revision = 'h20u_urgent_indexes'
branch_labels = None
depends_on = None

URGENT = "urgency_bits > 0"


def upgrade():
    for name, column in (('ix_threads_urgent_recent', 'last_message_at'),
                         ('ix_threads_urgent_priority', 'priority')):
        op.create_index(name, 'threads', [column, 'id'], unique=False,
                        sqlite_where=sa.text(URGENT), postgresql_where=sa.text(URGENT))
    op.create_index('ix_threads_channel_status_created', 'threads',
                    ['channel_id', 'status', 'created_at'], unique=False)


def downgrade():
    op.drop_index('ix_threads_channel_status_created', table_name='threads')
    op.drop_index('ix_threads_urgent_priority', table_name='threads')
    op.drop_index('ix_threads_urgent_recent', table_name='threads')
