"""What the refund service's ledger says was paid on a liability's accounts, entry by entry.

An account is (fee period, insurance, part). Each entry moves the amount settled on it on one day:

* ``payment``: a bank payment allocated to the account (refund.PaymentReceived), on its value date;
* ``reversal``: that payment returned by the bank (refund.PaymentReversed), negative, on the day
  the reversal was recorded;
* ``offset``: a credit applied to the account (refund.OffsetApplied, 冲抵), on the day applied;
* ``credited``: an overpayment moved out of the account into a credit (refund.CreditArisen),
  negative, on the day it arose: that money no longer pays this account (it may offset another
  period's due, be refunded, or come back by an ``offset`` of reason ``absorbed``).

So the sum of an account's entries is what the ledger counts as settled on it (its due minus its
outstanding), and the entries up to a day say what was settled by then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

PAYMENT, REVERSAL, OFFSET, CREDITED = "payment", "reversal", "offset", "credited"
KINDS = (PAYMENT, REVERSAL, OFFSET, CREDITED)


@dataclass(frozen=True)
class PaidEntry:
    insurance: str
    part: str  # employer | individual
    kind: str  # one of KINDS
    on: date  # the day it counts from (see the module docstring)
    amount_fen: int  # signed: positive pays, negative re-opens
    reference: str  # the payment id (payment, reversal) or the credit id (offset, credited)
    event_id: str  # the refund event it comes from

    def as_json(self) -> dict[str, Any]:
        return {
            "insurance": self.insurance,
            "part": self.part,
            "kind": self.kind,
            "on": self.on.isoformat(),
            "amount_fen": self.amount_fen,
            "reference": self.reference,
            "event_id": self.event_id,
        }
