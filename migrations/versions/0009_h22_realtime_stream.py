"""h22_realtime_stream: the X filtered stream per channel, the adaptive poll pace and the
shared rate budgets

Revision ID: h22_realtime_stream
Revises: i22_connectors_message_details
Create Date: 2026-12-07 06:00:00

"""
import sqlalchemy as sa
from alembic import op

import app.models.types

# revision identifiers, used by Alembic.
revision = 'h22_realtime_stream'
down_revision = 'i22_connectors_message_details'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('channels') as batch:
        # Existing channels keep polling as before: no plan is assumed to include the stream.
        batch.add_column(sa.Column('stream_enabled', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column('stream_seen_at', app.models.types.UTCDateTime(),
                                   nullable=True))
        batch.add_column(sa.Column('public_polled_at', app.models.types.UTCDateTime(),
                                   nullable=True))
        batch.add_column(sa.Column('poll_pace_seconds', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('poll_pace_reason', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('rate_budget_key', sa.String(length=120), nullable=True))
    op.create_table(
        'rate_budgets',
        sa.Column('key', sa.String(length=120), nullable=False),
        sa.Column('remaining', sa.Integer(), nullable=True),
        sa.Column('limit', sa.Integer(), nullable=True),
        sa.Column('reset_at', app.models.types.UTCDateTime(), nullable=True),
        sa.Column('usage_percent', sa.Float(), nullable=True),
        sa.Column('regain_at', app.models.types.UTCDateTime(), nullable=True),
        sa.Column('updated_at', app.models.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )


def downgrade():
    op.drop_table('rate_budgets')
    with op.batch_alter_table('channels') as batch:
        batch.drop_column('rate_budget_key')
        batch.drop_column('poll_pace_reason')
        batch.drop_column('poll_pace_seconds')
        batch.drop_column('public_polled_at')
        batch.drop_column('stream_seen_at')
        batch.drop_column('stream_enabled')
