"""connectors_message_details: attachments, hidden, deleted and edit history of messages

Revision ID: i22_connectors_message_details
Revises: i21_triage_corrections
Create Date: 2026-12-07 04:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'i22_connectors_message_details'
down_revision = 'i21_triage_corrections'
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


def downgrade():
    with op.batch_alter_table('messages') as batch:
        batch.drop_column('edit_history')
        batch.drop_column('deleted')
        batch.drop_column('hidden')
        batch.drop_column('attachments')
