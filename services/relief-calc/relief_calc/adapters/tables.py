"""The relief-calc service's database: the kernel's tables and its projections (one MetaData,
which Alembic migrates)."""

from __future__ import annotations

import sqlalchemy as sa

from eventkit.schema import kernel_tables
from eventkit.streams import stream_index_table

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
kernel = kernel_tables(metadata)
stream_index = stream_index_table(metadata)
