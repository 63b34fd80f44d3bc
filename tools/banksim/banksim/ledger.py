"""The simulator's own ledger (SQLite, a file or in memory): every transfer it was instructed,
every booking on the bureau's account, the refused duplicates, and the outbox of callbacks.

One end-to-end id has at most one live (accepted or settled) transfer: a partial unique index
says so, so a second payment is impossible even if the code above it were wrong. A transfer
rejected by the bank leaves the id free for a corrected instruction.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS transfers (
  id INTEGER PRIMARY KEY, end_to_end_id TEXT NOT NULL, message_id TEXT NOT NULL, payment_info_id TEXT NOT NULL,
  amount_fen INTEGER NOT NULL, creditor_name TEXT NOT NULL, creditor_account TEXT NOT NULL,
  execution_date TEXT NOT NULL, status TEXT NOT NULL, reason_code TEXT, received_at TEXT NOT NULL,
  settle_after REAL, settled_at TEXT, bank_reference TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS one_live_transfer_per_e2e ON transfers(end_to_end_id) WHERE status != 'RJCT';
CREATE TABLE IF NOT EXISTS refused (id INTEGER PRIMARY KEY, end_to_end_id TEXT NOT NULL, message_id TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bookings (
  id INTEGER PRIMARY KEY, bank_reference TEXT UNIQUE, kind TEXT NOT NULL, credit_debit TEXT NOT NULL,
  amount_fen INTEGER NOT NULL, booking_date TEXT NOT NULL, end_to_end_id TEXT NOT NULL,
  party_name TEXT NOT NULL, party_account TEXT NOT NULL, remittance TEXT, original_bank_reference TEXT UNIQUE);
CREATE TABLE IF NOT EXISTS callbacks (
  id INTEGER PRIMARY KEY, url TEXT NOT NULL, content_type TEXT NOT NULL, body BLOB NOT NULL,
  not_before REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, delivered_at TEXT, failed INTEGER NOT NULL DEFAULT 0,
  last_error TEXT);
"""


@dataclass(frozen=True)
class Transfer:
    id: int
    end_to_end_id: str
    message_id: str
    payment_info_id: str
    amount_fen: int
    creditor_name: str
    creditor_account: str
    execution_date: str
    status: str
    reason_code: str | None
    received_at: str
    settle_after: float | None
    settled_at: str | None
    bank_reference: str | None


@dataclass(frozen=True)
class Booking:
    id: int
    bank_reference: str
    kind: str  # transfer, payment, reversal
    credit_debit: str
    amount_fen: int
    booking_date: str
    end_to_end_id: str
    party_name: str
    party_account: str
    remittance: str | None
    original_bank_reference: str | None


class DuplicateEndToEndId(Exception):
    pass


class Ledger:
    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        if path != ":memory:":
            self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    # ----------------------------------------------------------------- transfers
    def instruct(
        self,
        *,
        e2e: str,
        message_id: str,
        payment_info_id: str,
        amount_fen: int,
        creditor_name: str,
        creditor_account: str,
        execution_date: date,
        status: str,
        reason_code: str | None,
        settle_after: float | None,
        now: datetime,
    ) -> Transfer:
        """Record an instructed transfer; a live transfer of the same end-to-end id makes it a refused duplicate."""
        try:
            cur = self.db.execute(
                "INSERT INTO transfers (end_to_end_id, message_id, payment_info_id, amount_fen, creditor_name, creditor_account,"
                " execution_date, status, reason_code, received_at, settle_after) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    e2e,
                    message_id,
                    payment_info_id,
                    amount_fen,
                    creditor_name,
                    creditor_account,
                    execution_date.isoformat(),
                    status,
                    reason_code,
                    now.isoformat(),
                    settle_after,
                ),
            )
        except sqlite3.IntegrityError:
            self.refuse(e2e, message_id, now)
            raise DuplicateEndToEndId(e2e) from None
        transfer = self.transfer_by_id(int(cur.lastrowid or 0))
        assert transfer is not None
        return transfer

    def refuse(self, e2e: str, message_id: str, now: datetime) -> None:
        self.db.execute("INSERT INTO refused (end_to_end_id, message_id, at) VALUES (?,?,?)", (e2e, message_id, now.isoformat()))

    def transfer_by_id(self, id_: int) -> Transfer | None:
        row = self.db.execute("SELECT * FROM transfers WHERE id = ?", (id_,)).fetchone()
        return None if row is None else Transfer(**dict(row))

    def latest_transfer(self, e2e: str) -> Transfer | None:
        row = self.db.execute("SELECT * FROM transfers WHERE end_to_end_id = ? ORDER BY id DESC LIMIT 1", (e2e,)).fetchone()
        return None if row is None else Transfer(**dict(row))

    def due_settlements(self, now: float) -> list[Transfer]:
        rows = self.db.execute("SELECT * FROM transfers WHERE status = 'ACCP' AND settle_after <= ? ORDER BY id", (now,))
        return [Transfer(**dict(r)) for r in rows]

    def settle(self, t: Transfer, *, booking_date: date, now: datetime) -> Booking:
        """Book the transfer (a debit of the bureau's account) and mark it settled, in one transaction."""
        with self._tx():
            booking = self._book(
                "transfer", "DBIT", t.amount_fen, booking_date, t.end_to_end_id, t.creditor_name, t.creditor_account, None, None
            )
            self.db.execute(
                "UPDATE transfers SET status='ACSC', settled_at=?, bank_reference=? WHERE id=?",
                (now.isoformat(), booking.bank_reference, t.id),
            )
        return booking

    def reject_at_settlement(self, t: Transfer, reason: str) -> None:
        self.db.execute("UPDATE transfers SET status='RJCT', reason_code=? WHERE id=?", (reason, t.id))

    # ------------------------------------------------------------------ bookings
    def book_payment(
        self, *, amount_fen: int, booking_date: date, e2e: str, payer_name: str, payer_account: str, remittance: str | None
    ) -> Booking:
        with self._tx():
            return self._book("payment", "CRDT", amount_fen, booking_date, e2e, payer_name, payer_account, remittance, None)

    def book_reversal(self, original: Booking, booking_date: date) -> Booking:
        """Raises sqlite3.IntegrityError when the original was already reversed."""
        with self._tx():
            return self._book(
                "reversal",
                "DBIT",
                original.amount_fen,
                booking_date,
                original.end_to_end_id,
                original.party_name,
                original.party_account,
                original.remittance,
                original.bank_reference,
            )

    def booking(self, bank_reference: str) -> Booking | None:
        row = self.db.execute("SELECT * FROM bookings WHERE bank_reference = ?", (bank_reference,)).fetchone()
        return None if row is None else Booking(**dict(row))

    def bookings_on(self, day: date) -> list[Booking]:
        rows = self.db.execute("SELECT * FROM bookings WHERE booking_date = ? ORDER BY id", (day.isoformat(),))
        return [Booking(**dict(r)) for r in rows]

    def balance_before(self, day: date) -> int:
        row = self.db.execute(
            "SELECT COALESCE(SUM(CASE credit_debit WHEN 'CRDT' THEN amount_fen ELSE -amount_fen END), 0) FROM bookings WHERE booking_date < ?",
            (day.isoformat(),),
        ).fetchone()
        return int(row[0])

    def _book(
        self,
        kind: str,
        cd: str,
        amount_fen: int,
        day: date,
        e2e: str,
        name: str,
        account: str,
        remittance: str | None,
        original: str | None,
    ) -> Booking:
        cur = self.db.execute(
            "INSERT INTO bookings (kind, credit_debit, amount_fen, booking_date, end_to_end_id, party_name, party_account, remittance,"
            " original_bank_reference) VALUES (?,?,?,?,?,?,?,?,?)",
            (kind, cd, amount_fen, day.isoformat(), e2e, name, account, remittance, original),
        )
        id_ = int(cur.lastrowid or 0)
        ref = f"BK{day:%Y%m%d}{id_:010d}"
        self.db.execute("UPDATE bookings SET bank_reference = ? WHERE id = ?", (ref, id_))
        booking = self.booking(ref)
        assert booking is not None
        return booking

    # ----------------------------------------------------------------- callbacks
    def enqueue_callback(self, url: str, content_type: str, body: bytes, not_before: float) -> None:
        self.db.execute(
            "INSERT INTO callbacks (url, content_type, body, not_before) VALUES (?,?,?,?)", (url, content_type, body, not_before)
        )

    def due_callbacks(self, now: float) -> list[sqlite3.Row]:
        return list(
            self.db.execute(
                "SELECT * FROM callbacks WHERE delivered_at IS NULL AND failed = 0 AND not_before <= ? ORDER BY id", (now,)
            )
        )

    def callback_delivered(self, id_: int, now: datetime) -> None:
        self.db.execute("UPDATE callbacks SET delivered_at = ?, attempts = attempts + 1 WHERE id = ?", (now.isoformat(), id_))

    def callback_failed(self, id_: int, error: str, retry_at: float | None) -> None:
        if retry_at is None:
            self.db.execute("UPDATE callbacks SET attempts = attempts + 1, failed = 1, last_error = ? WHERE id = ?", (error, id_))
        else:
            self.db.execute(
                "UPDATE callbacks SET attempts = attempts + 1, not_before = ?, last_error = ? WHERE id = ?",
                (retry_at, error, id_),
            )

    # ------------------------------------------------------------------- summary
    def summary(self) -> dict[str, Any]:
        one = self.db.execute
        paid = one("SELECT COUNT(*), COALESCE(SUM(amount_fen), 0) FROM transfers WHERE status = 'ACSC'").fetchone()
        status = dict(one("SELECT status, COUNT(*) FROM transfers GROUP BY status").fetchall())
        dup_paid = one(
            "SELECT COUNT(*) FROM (SELECT end_to_end_id FROM transfers WHERE status='ACSC' GROUP BY end_to_end_id HAVING COUNT(*) > 1)"
        ).fetchone()
        notes = dict(one("SELECT kind, COUNT(*) FROM bookings WHERE kind != 'transfer' GROUP BY kind").fetchall())
        cbs = one(
            "SELECT COUNT(delivered_at), SUM(failed), SUM(delivered_at IS NULL AND failed = 0), COALESCE(SUM(attempts), 0) FROM callbacks"
        ).fetchone()
        return {
            "paid_count": int(paid[0]),
            "paid_total_fen": int(paid[1]),
            "accepted_pending": int(status.get("ACCP", 0)),
            "rejected_count": int(status.get("RJCT", 0)),
            "refused_duplicates": int(one("SELECT COUNT(*) FROM refused").fetchone()[0]),
            "end_to_end_ids_paid_twice": int(dup_paid[0]),
            "payments_notified": int(notes.get("payment", 0)),
            "reversals_notified": int(notes.get("reversal", 0)),
            "callbacks_delivered": int(cbs[0] or 0),
            "callbacks_failed": int(cbs[1] or 0),
            "callbacks_pending": int(cbs[2] or 0),
            "callback_attempts": int(cbs[3] or 0),
        }

    def _tx(self) -> _Tx:
        return _Tx(self.db)


class _Tx:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")
