"""Alembic environment of the classification service (`classification migrate` runs it)."""

from eventkit.migrations import run_env

from classification.adapters.tables import metadata

run_env(metadata)
