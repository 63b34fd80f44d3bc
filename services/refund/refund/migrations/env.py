"""Alembic environment of the refund service (`refund migrate` runs it)."""

from eventkit.migrations import run_env
from refund.adapters.tables import metadata

run_env(metadata)
