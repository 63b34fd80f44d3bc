"""The refund service's REST API ."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from eventkit.runtime import ServiceRuntime


def routers(_runtime: ServiceRuntime) -> Sequence[APIRouter]:
    from refund.api import bank, bank_status, ledger, parked, reconciliation, refunds

    return [ledger.router, refunds.router, bank.router, bank_status.router, parked.router, reconciliation.router]
