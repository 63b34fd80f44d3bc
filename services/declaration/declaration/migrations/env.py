"""Alembic environment of the declaration service (`declaration migrate` runs it)."""

from declaration.adapters.tables import metadata
from eventkit.migrations import run_env

run_env(metadata)
