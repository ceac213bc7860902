"""Shared state held in each worker: version, next back-office action, token signing key;
token revocations (tokens become signed, with no row each)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 04:10:00
"""

import secrets

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    partage = op.create_table(
        'etat_partage',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.Column('prochaine_action', sa.DateTime(timezone=True), nullable=True),
        sa.Column('cle_jetons', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_etat_partage')),
    )
    # The back office's next action is computed at start-up (services/partage.recalculer).
    op.bulk_insert(partage, [{'id': 1, 'version': 1, 'cle_jetons': secrets.token_hex(32)}])
    op.create_table(
        'revocations_jetons',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('opco_id', sa.String(length=20), nullable=True),
        sa.Column('editeur_id', sa.Integer(), nullable=True),
        sa.Column('avant', sa.DateTime(timezone=True), nullable=False),
        sa.Column('motif', sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_revocations_jetons')),
    )


    # Tokens are signed and self-contained now: no row per token.
    with op.batch_alter_table('jetons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jetons_expire_le'))
    op.drop_table('jetons')


def downgrade() -> None:
    op.create_table(
        'jetons',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('jeton_hash', sa.String(length=64), nullable=False),
        sa.Column('editeur_id', sa.Integer(), nullable=False),
        sa.Column('opco_id', sa.String(length=20), nullable=False),
        sa.Column('scope', sa.String(length=200), nullable=False),
        sa.Column('emis_le', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expire_le', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['editeur_id'], ['editeurs.id'], name=op.f('fk_jetons_editeur_id_editeurs'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_jetons')),
        sa.UniqueConstraint('jeton_hash', name=op.f('uq_jetons_jeton_hash')),
    )
    op.create_index(op.f('ix_jetons_expire_le'), 'jetons', ['expire_le'], unique=False)
    op.drop_table('revocations_jetons')
    op.drop_table('etat_partage')
