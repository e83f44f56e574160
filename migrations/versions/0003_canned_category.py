"""canned_replies: the triage category each reply answers (suggested first for it)

Revision ID: i24_canned_category
Revises: 0002_sla_due_indexes
Create Date: 2026-12-07 03:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'i24_canned_category'
down_revision = '0002_sla_due_indexes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('canned_replies') as batch:
        batch.add_column(sa.Column('category', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('canned_replies') as batch:
        batch.drop_column('category')
