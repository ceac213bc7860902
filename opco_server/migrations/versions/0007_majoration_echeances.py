"""RQTH part of each échéance

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 02:20:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('echeances', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('majoration_rqth', sa.Numeric(precision=12, scale=2), server_default='0', nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('echeances', schema=None) as batch_op:
        batch_op.drop_column('majoration_rqth')
