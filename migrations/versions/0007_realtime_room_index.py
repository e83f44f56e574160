"""realtime_room_index: the newest event of a room in one index look-up (page heartbeats)

Revision ID: i23_realtime_room_index
Revises: i21_triage_corrections
Create Date: 2026-12-07 04:10:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'i23_realtime_room_index'
down_revision = 'i21_triage_corrections'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_realtime_events_room_id', 'realtime_events', ['room', 'id'],
                    unique=False)


def downgrade():
    op.drop_index('ix_realtime_events_room_id', table_name='realtime_events')
