"""triage_corrections: agents' corrections of a thread's category and urgency

Revision ID: i21_triage_corrections
Revises: i19_dashboard
Create Date: 2026-12-07 03:00:00

"""
import sqlalchemy as sa
from alembic import op

import app.models.types

# revision identifiers, used by Alembic.
revision = 'i21_triage_corrections'
down_revision = 'i19_dashboard'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'triage_corrections',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('thread_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', app.models.types.UTCDateTime(), nullable=False),
        sa.Column('category_before', sa.String(length=30), nullable=True),
        sa.Column('category_after', sa.String(length=30), nullable=False),
        sa.Column('urgency_before', sa.JSON(), nullable=False),
        sa.Column('urgency_after', sa.JSON(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=True),
        sa.ForeignKeyConstraint(['thread_id'], ['threads.id']),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_triage_corrections_created_at', 'triage_corrections', ['created_at'],
                    unique=False)
    op.create_index('ix_triage_corrections_thread', 'triage_corrections',
                    ['thread_id', 'created_at'], unique=False)


def downgrade():
    op.drop_index('ix_triage_corrections_thread', table_name='triage_corrections')
    op.drop_index('ix_triage_corrections_created_at', table_name='triage_corrections')
    op.drop_table('triage_corrections')
