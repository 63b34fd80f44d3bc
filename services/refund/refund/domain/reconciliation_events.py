"""The events of reconciliation (对账) with the bank's daily statement (camt.053).

Stream: `statement-<account>-<YYYY-MM-DD>` (see `statement_stream`), one per account of the
bureau and statement day; subject (Kafka key) `statement-<account>`. It holds:

* `StatementImported` — the statement as the bank booked it (balances and every line), once per
  content: the statement's content hash (`content_sha256`: statement id, day, account, balances
  and entries, not the message id or the time the bank generated the file) makes a re-sent
  statement record nothing; a corrected statement for the same day is a new revision that
  supersedes the one before;
* `ReconciliationItemRaised` — a mismatch for an officer: `missing` (recorded here, not on the
  statement), `extra` (on the statement, not recorded here), `wrong_amount` (both, amounts
  differ);
* `ReconciliationItemResolved` — an officer's resolution (`resolved`, with a note), or the
  system's when the mismatch is gone: `superseded` (a corrected statement no longer has it),
  `rematched` (the record arrived since and the statement was matched again). Once per item.

Amounts are integer fen; the bank's counterparty accounts travel sealed (eventkit.crypto.Sealed).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from eventkit.crypto import Sealed
from eventkit.events import Event

MISSING, EXTRA, WRONG_AMOUNT = "missing", "extra", "wrong_amount"
ITEM_KINDS = (MISSING, EXTRA, WRONG_AMOUNT)
RESOLVED, SUPERSEDED, REMATCHED = "resolved", "superseded", "rematched"


def statement_stream(account: str, day: str) -> str:
    return f"statement-{account}-{day}"


def statement_subject(account: str) -> str:
    return f"statement-{account}"


class StatementLine(BaseModel):
    """One entry of the statement (camt.053 Ntry)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bank_reference: str  # AcctSvcrRef
    amount_fen: int  # positive
    credit_debit: str  # CRDT | DBIT
    reversal: bool = False
    status: str = "BOOK"  # BOOK | PDNG (a pending line is not matched)
    value_date: str  # YYYY-MM-DD
    end_to_end_id: str
    original_bank_reference: str | None = None
    counterparty_name: str | None = None
    counterparty_account: Sealed | None = None


class StatementImported(Event):
    name = "refund.StatementImported"
    account: str  # the bureau's account the statement is of
    statement_date: str  # YYYY-MM-DD (China time)
    statement_id: str
    message_id: str
    content_sha256: str  # what makes two statements the same (see the module docstring)
    file_sha256: str  # of the bytes received, for the audit trail
    revision: int  # 1, then 2, … for each corrected statement of the day
    supersedes: str | None = None  # the content hash of the revision it replaces
    opening_balance_fen: int  # signed: credit positive
    closing_balance_fen: int
    lines: tuple[StatementLine, ...]
    imported_by: str


class ReconciliationItemRaised(Event):
    name = "refund.ReconciliationItemRaised"
    item_id: str
    account: str
    statement_date: str
    revision: int  # of the statement it was found on
    kind: str  # missing | extra | wrong_amount
    bank_reference: str  # the statement line's, else the record's ("" when neither has one)
    end_to_end_id: str | None = None
    credit_debit: str  # CRDT (money in) | DBIT (money out)
    statement_amount_fen: int | None = None  # None for missing
    recorded_amount_fen: int | None = None  # None for extra
    record_kind: str | None = None  # payment | reversal | refund | parked
    credit_code: str | None = None  # the payer the record belongs to, when known


class ReconciliationItemResolved(Event):
    name = "refund.ReconciliationItemResolved"
    item_id: str
    account: str
    statement_date: str
    resolution: str  # resolved (an officer) | superseded | rematched (the system)
    by: str
    role: str  # tax_officer | system
    note: str


RECONCILIATION_EVENTS: tuple[type[Event], ...] = (StatementImported, ReconciliationItemRaised, ReconciliationItemResolved)
