"""One statement day of one account as an aggregate (stream `statement-<account>-<day>`): the
statement's revisions and the reconciliation items raised on it. Pure: the decisions take the
folded state and return the events to append (an empty list when nothing changed).

* `record_statement` — a statement and the mismatches its matching found: the statement is
  recorded once per content (a corrected one is a new revision); an item is raised once per
  mismatch (a resolved item is not raised again); an open item whose mismatch is gone is closed
  by the system (`superseded` by a corrected statement, `rematched` when the same statement
  matched again finds the record that was missing). Importing the same statement again with
  nothing changed records nothing.
* `resolve_item` — an officer closes an open item with a note; once only (409 afterwards).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from eventkit.events import Event
from refund.domain.issues import Conflict, NotFound, reject
from refund.domain.reconciliation import Discrepancy
from refund.domain.reconciliation_events import (
    REMATCHED,
    RESOLVED,
    SUPERSEDED,
    ReconciliationItemRaised,
    ReconciliationItemResolved,
    StatementImported,
)

SYSTEM = "system"
NOTE_MAX = 1000


@dataclass
class Item:
    raised: ReconciliationItemRaised
    resolution: ReconciliationItemResolved | None = None

    @property
    def open(self) -> bool:
        return self.resolution is None


@dataclass
class StatementDay:
    revisions: list[StatementImported] = field(default_factory=list)
    items: dict[str, Item] = field(default_factory=dict)
    version: int = 0

    @property
    def current(self) -> StatementImported | None:
        return self.revisions[-1] if self.revisions else None

    def apply(self, e: Event) -> None:
        self.version += 1
        if isinstance(e, StatementImported):
            self.revisions.append(e)
        elif isinstance(e, ReconciliationItemRaised):
            self.items[e.item_id] = Item(e)
        elif isinstance(e, ReconciliationItemResolved):
            self.items[e.item_id].resolution = e


def fold_statement(events: Iterable[Event]) -> StatementDay:
    day = StatementDay()
    for e in events:
        day.apply(e)
    return day


def record_statement(state: StatementDay, statement: StatementImported, found: Sequence[Discrepancy]) -> list[Event]:
    """`statement` as parsed (its `revision` and `supersedes` are set here)."""
    current = state.current
    if current is not None and (current.account, current.statement_date) != (statement.account, statement.statement_date):
        raise reject("statement", "statement.stream", "对账单与账户日期不符", "the statement is of another account or day")
    events: list[Event] = []
    corrected = current is None or current.content_sha256 != statement.content_sha256
    revision = current.revision if current is not None else 0
    if corrected:
        revision += 1
        events.append(
            statement.model_copy(
                update={"revision": revision, "supersedes": current.content_sha256 if current is not None else None}
            )
        )
    account, day = statement.account, statement.statement_date
    wanted = {d.item_id(account, day): d for d in found}
    for item_id, d in wanted.items():
        if item_id not in state.items:
            events.append(
                ReconciliationItemRaised(
                    item_id=item_id, account=account, statement_date=day, revision=revision, kind=d.kind,
                    bank_reference=d.bank_reference, end_to_end_id=d.end_to_end_id, credit_debit=d.credit_debit,
                    statement_amount_fen=d.statement_amount_fen, recorded_amount_fen=d.recorded_amount_fen,
                    record_kind=d.record_kind, credit_code=d.credit_code,
                )
            )  # fmt: skip
    gone = SUPERSEDED if corrected and current is not None else REMATCHED
    note = f"statement revision {revision} no longer has it" if gone == SUPERSEDED else "matched on a later import"
    for item_id, item in state.items.items():
        if item.open and item_id not in wanted:
            events.append(
                ReconciliationItemResolved(
                    item_id=item_id, account=account, statement_date=day, resolution=gone, by=SYSTEM, role=SYSTEM, note=note
                )
            )
    return events


def resolve_item(state: StatementDay, item_id: str, *, by: str, role: str, note: str) -> list[Event]:
    item = state.items.get(item_id)
    if item is None:
        raise NotFound("reconciliation_item", f"没有对账差异 {item_id}", f"no reconciliation item {item_id}")
    if not note.strip():
        raise reject("note", "reconciliation.note", "须说明处理结果", "a note saying how it was resolved is required")
    if len(note) > NOTE_MAX:
        raise reject(
            "note", "reconciliation.note_length", f"说明不超过 {NOTE_MAX} 字", f"a note has at most {NOTE_MAX} characters"
        )
    if item.resolution is not None:
        done = item.resolution
        raise Conflict(
            "reconciliation.already_resolved",
            f"该差异已于此前处理（{done.resolution}，{done.by}）",
            f"this item is already closed ({done.resolution} by {done.by})",
            field="item_id",
        )
    raised = item.raised
    return [
        ReconciliationItemResolved(
            item_id=item_id, account=raised.account, statement_date=raised.statement_date, resolution=RESOLVED,
            by=by, role=role, note=note.strip(),
        )
    ]  # fmt: skip
