"""What the refund service's routes share: the data keyring, the province's rules, the runtime."""

from __future__ import annotations

from fastapi import Request

from eventkit.crypto import Keyring
from eventkit.web.problems import Problem
from refund.domain.allocation import SettlementRule
from refund.domain.refunds import ApprovalPolicy


def keyring(request: Request) -> Keyring | None:
    """The data keyring, read once (bank accounts are sealed before they are stored)."""
    if not hasattr(request.app.state, "refund_keyring"):
        request.app.state.refund_keyring = request.app.state.settings.keyring()
    found: Keyring | None = request.app.state.refund_keyring
    return found


def required_keyring(request: Request) -> Keyring:
    found = keyring(request)
    if found is None:
        raise Problem(503, "no data key configured: bank accounts cannot be sealed (未配置数据密钥)", slug="no-data-key")
    return found


def settlement_rule(_request: Request) -> SettlementRule:
    return SettlementRule()


def approval_policy(request: Request) -> ApprovalPolicy:
    return ApprovalPolicy(two_person_above_fen=request.app.state.settings.two_person_above_fen)
