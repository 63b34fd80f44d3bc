"""Alembic environment of the relief-calc service (`relief-calc migrate` runs it)."""

from eventkit.migrations import run_env
from relief_calc.service import DEFINITION  # imports every module that adds tables to the metadata

run_env(DEFINITION.metadata)
