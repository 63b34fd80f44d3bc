"""Policy impact simulation (政策影响测算): the stored declarations replayed under a draft policy.

Every active declaration is assessed twice with :func:`relief_calc.domain.assessing.liability_of`
(exactly what the assessor records): under the baseline (the policies in force) and under the
draft set (the baseline with the draft added). The employer amounts are summed per cell
(region, fee period, insurance, size) on both sides, with the difference draft − baseline.

The size of a cell is the size the rules saw: ``large`` … ``micro`` for a classified enterprise,
``unknown`` for an enterprise assessed provisionally (not classified, or unclassifiable: the rules
see it as large), ``n/a`` for the other unit types (size plays no part for them).

Declarations held for audit, voided or rejected have no liability and are only counted in
``excluded``. A payer-period that cannot be assessed (say, a region without parameters for the
period) is counted in ``failed`` with the reason (the first few are kept); the others go on.
Pure: no I/O; money in integer fen; the result does not depend on the order of the inputs
(rows are sorted, the failures kept are the smallest keys).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from refdata.enums import Insurance, Size, UnitType
from refdata.regions import RegionCatalog
from relief_calc.domain.assessing import ACTIVE, DeclarationInput, SizeInput, liability_of
from relief_calc.domain.liability_events import Liability
from relief_calc.domain.policies import PolicySet

__all__ = ["Amounts", "Cell", "Failure", "Simulation", "SimulationResult", "Totals", "simulate", "size_key"]

UNKNOWN, NOT_APPLICABLE = "unknown", "n/a"
SIZE_ORDER = {**{str(s): i for i, s in enumerate(Size)}, UNKNOWN: len(Size), NOT_APPLICABLE: len(Size) + 1}
INSURANCE_ORDER = {str(i): n for n, i in enumerate(Insurance)}
KEPT_FAILURES = 20

Progress = Callable[[int], None]  # called with the number of payer-periods looked at so far


@dataclass
class Amounts:
    """Employer amounts under one policy set; ``relieved``: payer-periods that got any relief."""

    employer_relief_fen: int = 0
    employer_payable_fen: int = 0
    relieved: int = 0

    def minus(self, other: Amounts) -> Amounts:
        return Amounts(
            self.employer_relief_fen - other.employer_relief_fen,
            self.employer_payable_fen - other.employer_payable_fen,
            self.relieved - other.relieved,
        )

    def to_json(self) -> dict[str, int]:
        return {
            "employer_relief_fen": self.employer_relief_fen,
            "employer_payable_fen": self.employer_payable_fen,
            "relieved": self.relieved,
        }


@dataclass
class Cell:
    """One row of the breakdown: payer-periods declaring ``insurance`` in the cell, both sides."""

    region: str
    fee_period: str
    insurance: str
    size: str
    payer_periods: int = 0
    employer_original_fen: int = 0
    baseline: Amounts = field(default_factory=Amounts)
    draft: Amounts = field(default_factory=Amounts)
    relief_changed: int = 0  # payer-periods whose relief kind for this insurance differs

    @property
    def sort_key(self) -> tuple[str, str, int, str, int]:
        return (self.region, self.fee_period, INSURANCE_ORDER.get(self.insurance, 99), self.insurance, SIZE_ORDER[self.size])

    def to_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "fee_period": self.fee_period,
            "insurance": self.insurance,
            "size": self.size,
            "payer_periods": self.payer_periods,
            "employer_original_fen": self.employer_original_fen,
            "baseline": self.baseline.to_json(),
            "draft": self.draft.to_json(),
            "difference": self.draft.minus(self.baseline).to_json(),
            "relief_changed": self.relief_changed,
        }


@dataclass
class Totals:
    """Grand totals: amounts are the sums of the rows; counts are of distinct payer-periods."""

    payer_periods: int = 0
    employer_original_fen: int = 0
    baseline: Amounts = field(default_factory=Amounts)
    draft: Amounts = field(default_factory=Amounts)
    relief_changed: int = 0  # payer-periods with at least one insurance whose relief kind changed
    payable_changed: int = 0  # payer-periods whose employer payable changed

    def to_json(self) -> dict[str, Any]:
        return {
            "payer_periods": self.payer_periods,
            "employer_original_fen": self.employer_original_fen,
            "baseline": self.baseline.to_json(),
            "draft": self.draft.to_json(),
            "difference": self.draft.minus(self.baseline).to_json(),
            "relief_changed": self.relief_changed,
            "payable_changed": self.payable_changed,
        }


@dataclass(frozen=True, order=True)
class Failure:
    credit_code: str
    fee_period: str
    error: str

    def to_json(self) -> dict[str, str]:
        return {"credit_code": self.credit_code, "fee_period": self.fee_period, "error": self.error}


@dataclass(frozen=True)
class SimulationResult:
    rows: tuple[Cell, ...]
    totals: Totals
    excluded: dict[str, int]  # non-active declarations by status
    failed: int
    failures: tuple[Failure, ...]  # the first KEPT_FAILURES, by payer and period

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": [cell.to_json() for cell in self.rows],
            "totals": self.totals.to_json(),
            "excluded": dict(sorted(self.excluded.items())),
            "failed": self.failed,
            "failures": [f.to_json() for f in self.failures],
        }


def size_key(liability: Liability) -> str:
    """The size of a liability's cell (see the module docstring)."""
    if liability.unit_type != UnitType.ENTERPRISE:
        return NOT_APPLICABLE
    if liability.status == "provisional" or liability.size_used is None:
        return UNKNOWN
    return liability.size_used


class Simulation:
    """The accumulator: ``add`` each payer-period's inputs (in any order), then ``result()``."""

    def __init__(
        self,
        baseline: PolicySet,
        draft: PolicySet,
        catalog: RegionCatalog | None = None,
        progress: Progress | None = None,
        progress_every: int = 200,
    ) -> None:
        self.baseline = baseline
        self.draft = draft
        self.catalog = catalog or RegionCatalog.default()
        self.progress = progress
        self.progress_every = max(1, progress_every)
        self.seen = 0
        self._cells: dict[tuple[str, str, str, str], Cell] = {}
        self._totals = Totals()
        self._excluded: dict[str, int] = {}
        self._failed = 0
        self._failures: list[Failure] = []

    def add(self, declaration: DeclarationInput, size: SizeInput) -> None:
        self.seen += 1
        try:
            self._add(declaration, size)
        finally:
            if self.progress is not None and self.seen % self.progress_every == 0:
                self.progress(self.seen)

    def _add(self, declaration: DeclarationInput, size: SizeInput) -> None:
        if declaration.status != ACTIVE:
            self._excluded[declaration.status] = self._excluded.get(declaration.status, 0) + 1
            return
        try:
            before = liability_of(declaration, size, self.baseline, self.catalog)
            after = liability_of(declaration, size, self.draft, self.catalog)
        except ValueError as exc:  # every domain and reference-data error is a ValueError
            self._fail(Failure(declaration.credit_code, declaration.fee_period, f"{type(exc).__name__}: {exc}"[:500]))
            return
        key = size_key(before)
        drafted = {line.insurance: line for line in after.lines}
        kind_changed = False
        for line in before.lines:
            other = drafted[line.insurance]
            cell = self._cells.get((declaration.region, declaration.fee_period, line.insurance, key))
            if cell is None:
                cell = Cell(declaration.region, declaration.fee_period, line.insurance, key)
                self._cells[(cell.region, cell.fee_period, cell.insurance, cell.size)] = cell
            cell.payer_periods += 1
            cell.employer_original_fen += line.employer_original_fen
            _count(cell.baseline, line.employer_relief_fen, line.employer_payable_fen, line.relief != "none")
            _count(cell.draft, other.employer_relief_fen, other.employer_payable_fen, other.relief != "none")
            if line.relief != other.relief:
                cell.relief_changed += 1
                kind_changed = True
        t = self._totals
        t.payer_periods += 1
        t.employer_original_fen += before.employer_original_fen
        _count(t.baseline, before.employer_relief_fen, before.employer_payable_fen, _relieved(before))
        _count(t.draft, after.employer_relief_fen, after.employer_payable_fen, _relieved(after))
        t.relief_changed += kind_changed
        t.payable_changed += before.employer_payable_fen != after.employer_payable_fen

    def _fail(self, failure: Failure) -> None:
        self._failed += 1
        self._failures.append(failure)
        if len(self._failures) > 2 * KEPT_FAILURES:
            self._failures = sorted(self._failures)[:KEPT_FAILURES]

    def result(self) -> SimulationResult:
        if self.progress is not None:
            self.progress(self.seen)
        return SimulationResult(
            rows=tuple(sorted(self._cells.values(), key=lambda c: c.sort_key)),
            totals=self._totals,
            excluded=dict(self._excluded),
            failed=self._failed,
            failures=tuple(sorted(self._failures)[:KEPT_FAILURES]),
        )


def _count(side: Amounts, relief_fen: int, payable_fen: int, relieved: bool) -> None:
    side.employer_relief_fen += relief_fen
    side.employer_payable_fen += payable_fen
    side.relieved += relieved


def _relieved(liability: Liability) -> bool:
    return any(line.relief != "none" for line in liability.lines)


def simulate(
    inputs: Iterable[tuple[DeclarationInput, SizeInput]],
    baseline: PolicySet,
    draft: PolicySet,
    catalog: RegionCatalog | None = None,
    progress: Progress | None = None,
) -> SimulationResult:
    """The breakdown of ``inputs`` under ``baseline`` and ``draft`` (see the module docstring)."""
    simulation = Simulation(baseline, draft, catalog, progress)
    for declaration, size in inputs:
        simulation.add(declaration, size)
    return simulation.result()
