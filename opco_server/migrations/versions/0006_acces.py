"""console sessions and failed logins

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 01:20:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sessions_console',
    sa.Column('jeton_hash', sa.String(length=64), nullable=False),
    sa.Column('admin_hash', sa.String(length=64), nullable=False),
    sa.Column('cree_le', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expire_le', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('jeton_hash', name=op.f('pk_sessions_console'))
    )
    with op.batch_alter_table('sessions_console', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sessions_console_expire_le'), ['expire_le'], unique=False)

    op.create_table('echecs_connexion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('adresse', sa.String(length=100), nullable=False),
    sa.Column('horodatage', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_echecs_connexion'))
    )
    with op.batch_alter_table('echecs_connexion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_echecs_connexion_adresse'), ['adresse'], unique=False)
        batch_op.create_index(batch_op.f('ix_echecs_connexion_horodatage'), ['horodatage'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('echecs_connexion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_echecs_connexion_horodatage'))
        batch_op.drop_index(batch_op.f('ix_echecs_connexion_adresse'))
    op.drop_table('echecs_connexion')
    with op.batch_alter_table('sessions_console', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sessions_console_expire_le'))
    op.drop_table('sessions_console')
