"""connectors_message_details: attachments, hidden, deleted and edit history of messages;
webhook deliveries and the channel's last webhook time

Revision ID: i22_connectors_message_details
Revises: i23_realtime_room_index
Create Date: 2026-12-07 04:20:00

"""
import sqlalchemy as sa
from alembic import op

import app.models.types

# revision identifiers, used by Alembic.
revision = 'i22_connectors_message_details'
down_revision = 'i23_realtime_room_index'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('messages') as batch:
        batch.add_column(sa.Column('attachments', sa.JSON(), nullable=False,
                                   server_default='[]'))
        batch.add_column(sa.Column('hidden', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column('deleted', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column('edit_history', sa.JSON(), nullable=False,
                                   server_default='[]'))
    with op.batch_alter_table('channels') as batch:
        batch.add_column(sa.Column('webhook_seen_at', app.models.types.UTCDateTime(),
                                   nullable=True))
    op.create_table(
        'webhook_deliveries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('network', sa.String(length=20), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('received_at', app.models.types.UTCDateTime(), nullable=False),
        sa.Column('body', sa.JSON(), nullable=False),
        sa.Column('processed_at', app.models.types.UTCDateTime(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('error', sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('digest'),
    )
    op.create_index('ix_webhook_deliveries_pending', 'webhook_deliveries',
                    ['processed_at', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_webhook_deliveries_pending', table_name='webhook_deliveries')
    op.drop_table('webhook_deliveries')
    with op.batch_alter_table('channels') as batch:
        batch.drop_column('webhook_seen_at')
    with op.batch_alter_table('messages') as batch:
        batch.drop_column('edit_history')
        batch.drop_column('deleted')
        batch.drop_column('hidden')
        batch.drop_column('attachments')
