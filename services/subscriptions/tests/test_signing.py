"""The service's Standard Webhooks signatures verify with the independent verifier."""

from __future__ import annotations

import time

import pytest

from subscriptions.domain import signing
from subscriptions.domain.schedule import DEFAULT_SCHEDULE_S

from .receiver import InvalidSignature, verify


def test_signatures_verify_independently_and_tampering_is_caught() -> None:
    secret = signing.new_secret()
    assert secret.startswith("whsec_") and len(signing.secret_key(secret)) == 32
    body = b'{"data":{"credit_code":"91320600MA1X0000XX"},"type":"relief.public.SizeCorrected.v1"}'
    headers = signing.headers(secret, "msg_1", int(time.time()), body)
    assert headers["webhook-signature"].startswith("v1,")
    verify(secret, headers, body)
    with pytest.raises(InvalidSignature):
        verify(secret, headers, body + b" ")
    with pytest.raises(InvalidSignature):
        verify(signing.new_secret(), headers, body)
    with pytest.raises(InvalidSignature):
        verify(secret, {**headers, "webhook-id": "msg_2"}, body)


def test_the_default_schedule_retries_for_about_three_days() -> None:
    total = sum(DEFAULT_SCHEDULE_S)
    assert DEFAULT_SCHEDULE_S[:5] == (5, 300, 1800, 7200, 18000)
    assert 3 * 86400 <= total <= 3.5 * 86400
