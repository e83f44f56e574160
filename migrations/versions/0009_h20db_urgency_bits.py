"""h20db_urgency_bits: urgency flags as an indexed bit set; the inbox's indexes for every
sort on the active statuses (partial) and on all statuses, and for the opening-date filter

Revision ID: h20db_urgency_bits
Revises: i22_connectors_message_details
Create Date: 2026-12-07 06:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'h20db_urgency_bits'
down_revision = 'i22_connectors_message_details'
branch_labels = None
depends_on = None

#: Frozen copy of the flag order at this revision (the bits are the storage format).
FLAGS = ("hacked_account", "scam", "money_blocked", "public_threat", "abuse", "safety")
ACTIVE = "status IN ('new', 'open', 'waiting')"
URGENT = "urgency_bits > 0"


def upgrade():
    with op.batch_alter_table('threads') as batch:
        batch.add_column(sa.Column('urgency_bits', sa.Integer(), nullable=False,
                                   server_default='0'))
    # Existing flags become bits: the JSON list's text form holds each name in quotes.
    threads = sa.table('threads', sa.column('urgency', sa.JSON()),
                       sa.column('urgency_bits', sa.Integer()))
    for position, name in enumerate(FLAGS):
        op.execute(threads.update()
                   .where(sa.cast(threads.c.urgency, sa.String).like(f'%"{name}"%'))
                   .values(urgency_bits=threads.c.urgency_bits.op('|')(1 << position)))
    for key, column in (('priority', 'priority'), ('recent', 'last_message_at'),
                        ('sla', 'sla_due')):
        op.create_index(f'ix_threads_active_{key}', 'threads', [column, 'id'], unique=False,
                        sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE))
        op.create_index(f'ix_threads_all_{key}', 'threads', [column, 'id'], unique=False)
        op.create_index(f'ix_threads_urgent_{key}', 'threads', [column, 'id'], unique=False,
                        sqlite_where=sa.text(URGENT), postgresql_where=sa.text(URGENT))
    op.create_index('ix_threads_active_assignee', 'threads', ['assignee_id', 'priority', 'id'],
                    unique=False, sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE))
    op.create_index('ix_threads_urgency_status', 'threads', ['urgency_bits', 'status'],
                    unique=False)
    op.create_index('ix_threads_status_sentiment', 'threads', ['status', 'sentiment'],
                    unique=False)
    op.create_index('ix_threads_status_created', 'threads', ['status', 'created_at'],
                    unique=False)
    op.create_index('ix_threads_created', 'threads', ['created_at'], unique=False)


def downgrade():
    op.drop_index('ix_threads_created', table_name='threads')
    op.drop_index('ix_threads_status_created', table_name='threads')
    op.drop_index('ix_threads_status_sentiment', table_name='threads')
    op.drop_index('ix_threads_urgency_status', table_name='threads')
    op.drop_index('ix_threads_active_assignee', table_name='threads')
    for key in ('priority', 'recent', 'sla'):
        op.drop_index(f'ix_threads_urgent_{key}', table_name='threads')
        op.drop_index(f'ix_threads_all_{key}', table_name='threads')
        op.drop_index(f'ix_threads_active_{key}', table_name='threads')
    with op.batch_alter_table('threads') as batch:
        batch.drop_column('urgency_bits')
