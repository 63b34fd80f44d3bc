"""How an officer resolved a parked payment (stream `parked-<bank reference>`, after its
`refund.PaymentParked`): at most one resolution per parked payment."""

from __future__ import annotations

from eventkit.events import Event

ASSIGNED, RETURNED = "assigned", "returned"


class PaymentParkedResolved(Event):
    """`assigned`: the money is put on `credit_code`'s ledger as the payment `payment_id`
    (a normal `PaymentReceived` with the same bank reference, appended in the same transaction);
    `returned`: the money is to be sent back to the payer's bank account (the transfer itself is
    not instructed yet). Who resolved it is `by`; when, the event's time."""

    name = "refund.PaymentParkedResolved"
    bank_reference: str
    resolution: str  # assigned | returned
    credit_code: str | None = None  # assigned: the payer whose ledger took the money
    payment_id: str | None = None  # assigned: the PaymentReceived's payment id
    fee_period: str | None = None  # assigned: the period the officer named, if any
    insurance: str | None = None
    amount_fen: int
    note: str
    by: str
    role: str


PARKED_EVENTS: tuple[type[Event], ...] = (PaymentParkedResolved,)
