"""The refund service's REST API ."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from eventkit.runtime import ServiceRuntime


def routers(_runtime: ServiceRuntime) -> Sequence[APIRouter]:
    from refund.api import bank, ledger, parked, reconciliation

    return [ledger.router, bank.router, parked.router, reconciliation.router]
