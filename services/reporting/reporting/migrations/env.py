"""Alembic environment of the reporting service (`reporting migrate` runs it)."""

from eventkit.migrations import run_env
from reporting.adapters.tables import metadata

run_env(metadata)
