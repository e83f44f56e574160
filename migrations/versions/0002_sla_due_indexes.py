"""threads: drop the first-response and resolution due indexes (sla_due serves the filter)

Revision ID: 0002_sla_due_indexes
Revises: 0001_initial
Create Date: 2026-12-02 01:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0002_sla_due_indexes'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade():
    # The "SLA breached" filter reads sla_due (indexed with status); these two were written
    # for every new thread and read by nothing else.
    op.drop_index('ix_threads_resolution_due', table_name='threads')
    op.drop_index('ix_threads_first_response_due', table_name='threads')


def downgrade():
    op.create_index('ix_threads_first_response_due', 'threads',
                    ['status', 'first_response_due'], unique=False)
    op.create_index('ix_threads_resolution_due', 'threads', ['status', 'resolution_due'],
                    unique=False)
