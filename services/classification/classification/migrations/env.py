"""Alembic environment of the classification service (`classification migrate` runs it)."""

from classification.adapters.tables import metadata
from eventkit.migrations import run_env

run_env(metadata)
