"""One relief document (文件) as frozen, validated data: the model behind ``policies/*.yaml``.

A :class:`Policy` carries its document number, title, issuer, publication date (when it became
known: the bitemporal axis), the fee periods it covers (``periods``: the validity window), where it
applies (``scope``: provinces and regions), its clauses, and either relief ``rules`` (kind
``relief``) or ``parameters`` (the other kinds). A policy with ``overrides: <id>`` changes another
one for its own scope without copying it: ``amend`` patches named rules field by field and
``parameters`` replaces single parameters. See ``policies/README.md`` for the file format.
"""

from __future__ import annotations

import functools
import hashlib
import json
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator, model_validator

from refdata.enums import Insurance, Size, UnitType
from refdata.periods import FeePeriod
from relief_calc.domain.policy_parameters import (
    PARAMETER_MODELS,
    ConstructionProjectParameters,
    DeferralParameters,
    LateFeeParameters,
    ParameterModel,
    PolicyKind,
    ReviewStep,
    SettlementParameters,
)
from relief_calc.domain.policy_types import (
    NEVER_RELIEVED,
    Frozen,
    Identifier,
    Period,
    ProvinceCode,
    Rate,
    RegionCode,
    Text,
    sorted_unique,
)

__all__ = [
    "NEVER_RELIEVED",
    "PARAMETER_MODELS",
    "Clause",
    "ConstructionProjectParameters",
    "DeferralParameters",
    "Geography",
    "LateFeeParameters",
    "ParameterModel",
    "PeriodPatch",
    "PeriodWindow",
    "Policy",
    "PolicyKind",
    "Rate",
    "RateBase",
    "RegionCode",
    "Relief",
    "ReviewStep",
    "Rule",
    "RulePatch",
    "SettlementParameters",
]


class Relief(StrEnum):
    """What a rule grants on the employer part: 免征, 减半征收, or nothing."""

    EXEMPT = "exempt"
    HALVED = "halved"
    NONE = "none"


class RateBase(StrEnum):
    """Which rate a halving applies to: the declared one, or the rate before a phased cut (降费前原费率)."""

    DECLARED = "declared"
    ORIGINAL = "original"


class PeriodWindow(Frozen):
    """Fee periods ``from`` … ``to``, both inclusive; ``to`` omitted: open-ended."""

    first: Period = Field(alias="from")
    last: Period | None = Field(default=None, alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> PeriodWindow:
        if self.last is not None and self.last < self.first:
            raise ValueError(f"window ends ({self.last}) before it starts ({self.first})")
        return self

    def covers(self, period: FeePeriod) -> bool:
        return period.within(self.first, self.last)

    def __str__(self) -> str:
        return f"{self.first}..{self.last or ''}"


class PeriodPatch(Frozen):
    """A change of a rule's window: only the given end(s) change (``to: null`` makes it open-ended)."""

    first: Period | None = Field(default=None, alias="from")
    last: Period | None = Field(default=None, alias="to")


class Geography(Frozen):
    """Where a policy applies: listed provinces (2 digits) and/or regions (6 digits), minus exclusions.

    Nothing listed means nationwide. A region is covered when its province or itself is listed.
    """

    provinces: tuple[ProvinceCode, ...] | None = None
    regions: tuple[RegionCode, ...] | None = None
    exclude_provinces: tuple[ProvinceCode, ...] = ()
    exclude_regions: tuple[RegionCode, ...] = ()

    _sort = field_validator("provinces", "regions", "exclude_provinces", "exclude_regions")(sorted_unique)

    def covers(self, region: str) -> bool:
        province = region[:2]
        if region in self.exclude_regions or province in self.exclude_provinces:
            return False
        if self.provinces is None and self.regions is None:
            return True
        return province in (self.provinces or ()) or region in (self.regions or ())

    @property
    def specificity(self) -> int:
        """0 national, 1 provincial, 2 regional: a more specific override is applied later (it wins)."""
        return 2 if self.regions is not None else 1 if self.provinces is not None else 0


class Clause(Frozen):
    ref: Text
    text: Text


class Rule(Frozen):
    """One relief rule: who (unit types, sizes), what (insurances), when (fee periods), how much.

    ``sizes`` restricts enterprises only: other unit types are not classified by size (11号's
    "大型企业等其他参保单位" are large enterprises *and* social organisations). ``adopted: false``
    marks a rule a province or region must adopt before it applies (医保发〔2020〕6号).
    """

    id: Identifier
    clause: Text
    periods: PeriodWindow
    unit_types: tuple[UnitType, ...] | None = None
    sizes: tuple[Size, ...] | None = None
    insurances: tuple[Insurance, ...]
    relief: Relief
    rate_base: RateBase = RateBase.DECLARED
    adopted: bool = True
    condition: str | None = None
    note: str | None = None

    _sort = field_validator("unit_types", "sizes", "insurances")(sorted_unique)

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        if self.relief is not Relief.NONE:
            if self.unit_types is None:
                raise ValueError(f"rule {self.id}: a rule granting relief must list its unit_types")
            barred = sorted(NEVER_RELIEVED.intersection(self.unit_types))
            if barred:
                raise ValueError(
                    f"rule {self.id}: {', '.join(barred)} never get 2020 relief (人社部发〔2020〕11号 不含机关事业单位; "
                    "flexible workers are out of scope, DOMAIN.md §1)"
                )
        if self.sizes is not None and UnitType.ENTERPRISE not in (self.unit_types or ()):
            raise ValueError(f"rule {self.id}: sizes classify enterprises only, but unit_types has no enterprise")
        if not self.insurances:
            raise ValueError(f"rule {self.id}: insurances must not be empty")
        if self.rate_base is RateBase.ORIGINAL and self.relief is not Relief.HALVED:
            raise ValueError(f"rule {self.id}: rate_base original only makes sense for a halving")
        return self

    def matches(self, unit_type: UnitType, size: Size | None, insurance: Insurance) -> bool:
        if insurance not in self.insurances:
            return False
        if self.unit_types is not None and unit_type not in self.unit_types:
            return False
        return self.sizes is None or unit_type is not UnitType.ENTERPRISE or size in self.sizes


class RulePatch(Frozen):
    """An amendment of one rule of the overridden policy: only the fields given change.

    ``clause`` is the clause of the AMENDING document (cited in the trace next to the rule's own
    clause); it does not replace the rule's clause.
    """

    clause: Text | None = None
    periods: PeriodPatch | None = None
    unit_types: tuple[UnitType, ...] | None = None
    sizes: tuple[Size, ...] | None = None
    insurances: tuple[Insurance, ...] | None = None
    relief: Relief | None = None
    rate_base: RateBase | None = None
    adopted: bool | None = None
    condition: str | None = None
    note: str | None = None

    _sort = field_validator("unit_types", "sizes", "insurances")(sorted_unique)

    def changed_fields(self) -> tuple[str, ...]:
        fields: list[str] = []
        for name in sorted(self.model_fields_set - {"clause"}):
            if name == "periods" and self.periods is not None:
                fields += [f"periods.{'from' if n == 'first' else 'to'}" for n in sorted(self.periods.model_fields_set)]
            else:
                fields.append(name)
        return tuple(fields)

    def apply(self, rule: Rule) -> Rule:
        data = rule.model_dump(mode="json", by_alias=True)
        patch = self.model_dump(mode="json", by_alias=True)
        for name in self.model_fields_set - {"clause"}:
            if name == "periods" and self.periods is not None:
                for end in self.periods.model_fields_set:
                    alias = "from" if end == "first" else "to"
                    data["periods"][alias] = patch["periods"][alias]
            else:
                data[name] = patch[name]
        return Rule.model_validate(data)


class Policy(Frozen):
    """One policy document as data (see the module docstring)."""

    id: Identifier
    document_number: Text
    title: Text
    issuer: Text
    published: date
    kind: PolicyKind
    periods: PeriodWindow
    scope: Geography = Geography()
    overrides: Identifier | None = None
    clauses: tuple[Clause, ...] = ()
    rules: tuple[Rule, ...] = ()
    amend: dict[Identifier, RulePatch] = Field(default_factory=dict)
    parameters: dict[str, Any] | None = None
    notes: str | None = None

    @field_validator("published", mode="before")
    @classmethod
    def _a_day(cls, value: object) -> object:
        if isinstance(value, datetime):
            raise ValueError("published is a day (YYYY-MM-DD), not a time")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        if self.overrides == self.id:
            raise ValueError("a policy cannot override itself")
        ids = [rule.id for rule in self.rules]
        if len(set(ids)) != len(ids):
            raise ValueError(f"rule ids must be unique, got {ids}")
        for rule in self.rules:
            if rule.periods.first < self.periods.first or not _ends_within(rule.periods.last, self.periods.last):
                raise ValueError(f"rule {rule.id} covers {rule.periods}, outside the policy's periods {self.periods}")
        if self.amend and self.overrides is None:
            raise ValueError("amend needs overrides: <the id of the policy it amends>")
        if self.kind is PolicyKind.RELIEF:
            if self.parameters is not None:
                raise ValueError("a relief policy has rules, not parameters")
            if not self.rules and not self.amend:
                raise ValueError("a relief policy needs rules (or, overriding another, amend)")
            for rule_id, patch in self.amend.items():
                self._check_patch_window(rule_id, patch)
        else:
            if self.rules or self.amend:
                raise ValueError(f"a {self.kind} policy has parameters, not rules")
            if self.parameters is None:
                raise ValueError(f"a {self.kind} policy needs parameters")
            model = PARAMETER_MODELS[self.kind]
            if self.overrides is None:
                model.model_validate(self.parameters)
            else:
                unknown = sorted(set(self.parameters) - set(model.model_fields))
                if unknown:
                    raise ValueError(f"unknown {self.kind} parameters {unknown} (known: {sorted(model.model_fields)})")
        return self

    def _check_patch_window(self, rule_id: str, patch: RulePatch) -> None:
        if patch.periods is None:
            return
        for end in (patch.periods.first, patch.periods.last):
            if end is not None and not self.periods.covers(end):
                raise ValueError(f"amend {rule_id}: {end} lies outside this policy's periods {self.periods}")

    def typed_parameters(self) -> ParameterModel:
        """The parameters as their typed model (a base policy of a parameter kind only)."""
        if self.kind is PolicyKind.RELIEF or self.parameters is None or self.overrides is not None:
            raise TypeError(f"policy {self.id} has no complete parameters of its own")
        return PARAMETER_MODELS[self.kind].model_validate(self.parameters)

    def canonical_json(self) -> str:
        """Stable JSON of the content (sorted keys, sets sorted, no whitespace): the basis of the hash."""
        return json.dumps(self.model_dump(mode="json", by_alias=True), sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    def content_hash(self) -> str:
        """``sha256:<hex>`` of :meth:`canonical_json`: equal content, equal hash (idempotent publishing)."""
        return self._content_hash

    @functools.cached_property
    def _content_hash(self) -> str:  # the model is frozen: computed once per instance
        return "sha256:" + hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()


def _ends_within(end: FeePeriod | None, limit: FeePeriod | None) -> bool:
    if limit is None:
        return True
    return end is not None and end <= limit
