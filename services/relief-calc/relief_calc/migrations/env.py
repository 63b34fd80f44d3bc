"""Alembic environment of the relief-calc service (`relief-calc migrate` runs it)."""

from eventkit.migrations import run_env
from relief_calc.adapters.tables import metadata

run_env(metadata)
