"""What the bank adapter does next for a refund: pure decisions over the refund's state.

"A timeout means asking the bank for the status, never instructing again under a new id": once an
attempt is instructed its message id, end-to-end id (= the refund id) and the hash of its exact
bytes are fixed; the adapter may only query the status of that end-to-end id or, if the bank says
it never received the message, re-send the stored bytes unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from refund.domain.refunds import ACCEPTED, APPROVED, INSTRUCTED, RefundState

SEND, QUERY, RESEND, WAIT, NOTHING = "send", "query_status", "resend_stored_bytes", "wait_for_officer", "nothing"


@dataclass(frozen=True)
class BankAction:
    kind: str
    end_to_end_id: str
    message_id: str | None = None
    payload_sha256: str | None = None


def after_timeout(s: RefundState) -> BankAction:
    """The bank did not answer in time. Once instructed, the only move is to ask for the status of
    the same end-to-end id: never a new instruction, never a new id."""
    a = s.attempt
    if s.flagged:
        return BankAction(WAIT, s.refund_id, a.message_id)
    if s.status in (INSTRUCTED, ACCEPTED):
        return BankAction(QUERY, s.refund_id, a.message_id, a.payload_sha256)
    return BankAction(NOTHING, s.refund_id, a.message_id)


def after_status_query(s: RefundState, *, bank_knows_it: bool) -> BankAction:
    """The bank answered a status query. If it never received the instruction, the stored bytes
    are re-sent as they are (same message id, same end-to-end id); otherwise its status is recorded
    with `record_status` and nothing is sent."""
    a = s.attempt
    if s.status == INSTRUCTED and not bank_knows_it and not s.flagged:
        return BankAction(RESEND, s.refund_id, a.message_id, a.payload_sha256)
    return BankAction(NOTHING, s.refund_id, a.message_id)


def next_action(s: RefundState) -> BankAction:
    """What a worker does for a refund now: an approved attempt not yet instructed is sent (record
    `RefundInstructed` with the bytes' hash first, then send them); anything else waits for the
    bank, an officer, or nothing at all."""
    a = s.attempt
    if s.flagged:
        return BankAction(WAIT, s.refund_id, a.message_id)
    if s.status == APPROVED and a.message_id is None:
        return BankAction(SEND, s.refund_id)
    if s.status in (INSTRUCTED, ACCEPTED):
        return BankAction(NOTHING, s.refund_id, a.message_id, a.payload_sha256)
    return BankAction(NOTHING, s.refund_id, a.message_id)
