"""Apprentice NIR column, for the same-NIR-other-identity warning

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 02:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('apprenti_nir', sa.String(length=15), nullable=True))
        batch_op.create_index('ix_dossiers_opco_apprenti_nir', ['opco_id', 'apprenti_nir'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_index('ix_dossiers_opco_apprenti_nir')
        batch_op.drop_column('apprenti_nir')
