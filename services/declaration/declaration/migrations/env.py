"""Alembic environment of the declaration service (`declaration migrate` runs it)."""

from eventkit.migrations import run_env

from declaration.adapters.tables import metadata

run_env(metadata)
