"""Alembic environment of the subscriptions service (`subscriptions migrate` runs it)."""

from eventkit.migrations import run_env
from subscriptions.adapters.tables import metadata

run_env(metadata)
