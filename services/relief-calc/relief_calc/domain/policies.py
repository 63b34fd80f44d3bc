"""Relief policies as dated data: loading ``policies/*.yaml`` and answering "what was in force".

    policies = load_policies(default_policy_dir())
    policies.in_force("2020-05", "320500", date(2020, 6, 1)).rules     # 11号 only: large 2020-05 not halved
    policies.in_force("2020-05", "320500", date(2020, 7, 1)).rules     # 49号 known: halved

Bitemporal: a policy counts only once its publication date is on or before ``as_known_at`` (None:
everything in the set, the latest knowledge). Overrides: for a region in its scope, a policy with
``overrides: X`` patches X's rules (``amend``) or parameters, and may add rules of its own. Patches
apply national first, then provincial, then regional (the more specific wins), each level in order
of publication. The only I/O here is :func:`load_policies` reading the directory it is given.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml  # type: ignore[import-untyped,unused-ignore]  # no stubs in the pinned environment
from pydantic import ValidationError

from refdata.periods import FeePeriod
from relief_calc.domain.errors import PolicyDataError, UnknownPolicy
from relief_calc.domain.policy_model import (
    PARAMETER_MODELS,
    ConstructionProjectParameters,
    DeferralParameters,
    LateFeeParameters,
    ParameterModel,
    Policy,
    PolicyKind,
    Rule,
    SettlementParameters,
)

__all__ = [
    "Amendment",
    "ConstructionProjectParameters",
    "DeferralParameters",
    "EffectiveRule",
    "InForce",
    "LateFeeParameters",
    "Policy",
    "PolicySet",
    "ResolvedParameters",
    "SettlementParameters",
    "default_policy_dir",
    "known_day",
    "load_policies",
    "parse_policy",
]

P = TypeVar("P", SettlementParameters, DeferralParameters, ConstructionProjectParameters, LateFeeParameters)
CHINA = timezone(timedelta(hours=8))  # publication dates are days in China time (no DST since 1991)
_KIND_OF: dict[type[ParameterModel], PolicyKind] = {model: kind for kind, model in PARAMETER_MODELS.items()}


def default_policy_dir() -> Path:
    """``services/relief-calc/policies`` next to the package (editable install, as the repo uses)."""
    return Path(__file__).resolve().parents[2] / "policies"


def known_day(as_known_at: date | datetime | None) -> date | None:
    """The day an ``as_known_at`` falls on: aware datetimes in China time, naive ones as given."""
    if isinstance(as_known_at, datetime):
        return (as_known_at.astimezone(CHINA) if as_known_at.tzinfo is not None else as_known_at).date()
    return as_known_at


def parse_policy(text: str, *, name: str = "<policy>") -> Policy:
    """A policy from its YAML text; :class:`PolicyDataError` names the file and each bad field."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise PolicyDataError(f"政策文件{name}不是有效的YAML：{error}", f"{name}: not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise PolicyDataError(f"政策文件{name}的顶层应为映射", f"{name}: the top level must be a mapping")
    try:
        return Policy.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(part) for part in e['loc']) or '(file)'}: {e['msg']}" for e in error.errors())
        raise PolicyDataError(f"政策文件{name}有误：{problems}", f"{name}: {problems}") from None


def load_policies(directory: Path | str) -> PolicySet:
    """Every ``*.yaml`` in ``directory`` (one file per document, named ``<id>.yaml``), checked together."""
    folder = Path(directory)
    if not folder.is_dir():
        raise PolicyDataError(f"政策目录{folder}不存在", f"policy directory {folder} does not exist")
    policies = []
    for path in sorted(folder.glob("*.yaml")):
        policy = parse_policy(path.read_text(encoding="utf-8"), name=path.name)
        if path.stem != policy.id:
            raise PolicyDataError(
                f"{path.name}：文件名应为{policy.id}.yaml",
                f"{path.name}: the file of policy {policy.id} must be named {policy.id}.yaml",
            )
        policies.append(policy)
    if not policies:
        raise PolicyDataError(f"政策目录{folder}中没有政策文件", f"policy directory {folder} holds no *.yaml policy")
    return PolicySet(policies)


@dataclass(frozen=True)
class Amendment:
    """A policy that changed a rule (or parameters) for the region: which fields, under which clause."""

    policy: Policy
    fields: tuple[str, ...]
    clause: str | None = None


@dataclass(frozen=True)
class EffectiveRule:
    """A rule as it stands for one region after every known amendment, with its provenance."""

    rule: Rule
    policy: Policy
    amendments: tuple[Amendment, ...] = ()

    @property
    def policies(self) -> tuple[Policy, ...]:
        return (self.policy, *(a.policy for a in self.amendments))

    def trace(self) -> dict[str, Any]:
        return {
            "policy": self.policy.id,
            "document": self.policy.document_number,
            "published": self.policy.published.isoformat(),
            "rule": self.rule.id,
            "clause": self.rule.clause,
            "relief": str(self.rule.relief),
            "periods": str(self.rule.periods),
            "rate_base": str(self.rule.rate_base),
            "adopted": self.rule.adopted,
            "amended_by": [
                {
                    "policy": a.policy.id,
                    "document": a.policy.document_number,
                    "published": a.policy.published.isoformat(),
                    "fields": list(a.fields),
                }
                | ({"clause": a.clause} if a.clause else {})
                for a in self.amendments
            ],
        }


@dataclass(frozen=True)
class ResolvedParameters(Generic[P]):
    """The parameters of one kind for a region (and period), after overrides, with their provenance."""

    values: P
    policy: Policy
    amendments: tuple[Amendment, ...] = ()

    @property
    def policies(self) -> tuple[Policy, ...]:
        return (self.policy, *(a.policy for a in self.amendments))


@dataclass(frozen=True)
class InForce:
    """What applied to one region and fee period, as known at one time."""

    fee_period: FeePeriod
    region: str
    as_known_at: date | None
    rules: tuple[EffectiveRule, ...]
    policies: tuple[Policy, ...]


def _order(policy: Policy) -> tuple[int, date, str]:
    return (policy.scope.specificity, policy.published, policy.id)


class PolicySet:
    """Every version of every policy; immutable. Versions of one id differ by publication date."""

    def __init__(self, policies: Iterable[Policy]) -> None:
        versions: dict[str, dict[date, Policy]] = {}
        for policy in policies:
            same_day = versions.setdefault(policy.id, {}).get(policy.published)
            if same_day is not None and same_day.content_hash() != policy.content_hash():
                raise PolicyDataError(
                    f"政策{policy.id}在{policy.published}有两个不同的版本",
                    f"policy {policy.id} has two different versions published on {policy.published}",
                )
            versions[policy.id][policy.published] = policy
        self._versions = {pid: tuple(by_day[d] for d in sorted(by_day)) for pid, by_day in sorted(versions.items())}
        self._rules_cache: dict[tuple[str, date | None], tuple[EffectiveRule, ...]] = {}
        for pid in self._versions:
            for version in self._versions[pid]:
                self._check(version)

    # -- lookup ---------------------------------------------------------------------------------

    @property
    def policies(self) -> tuple[Policy, ...]:
        """The latest version of every policy."""
        return tuple(versions[-1] for versions in self._versions.values())

    def versions(self, policy_id: str) -> tuple[Policy, ...]:
        return self._versions.get(policy_id, ())

    def get(self, policy_id: str, as_known_at: date | datetime | None = None) -> Policy:
        day = known_day(as_known_at)
        known = [p for p in self.versions(policy_id) if day is None or p.published <= day]
        if not known:
            raise UnknownPolicy(
                f"政策{policy_id}不存在（或当时尚未发布）", f"policy {policy_id} is unknown (or not yet published then)"
            )
        return known[-1]

    def known(self, as_known_at: date | datetime | None = None) -> tuple[Policy, ...]:
        """The latest version of each policy published on or before ``as_known_at``."""
        day = known_day(as_known_at)
        found = []
        for versions in self._versions.values():
            known = [p for p in versions if day is None or p.published <= day]
            if known:
                found.append(known[-1])
        return tuple(found)

    def with_policy(self, policy: Policy) -> PolicySet:
        """A new set with ``policy`` added (a new version, or a draft to simulate)."""
        return PolicySet([*(v for versions in self._versions.values() for v in versions), policy])

    def content_hashes(self) -> dict[str, str]:
        return {policy.id: policy.content_hash() for policy in self.policies}

    # -- resolution -----------------------------------------------------------------------------

    def rules(self, region: str, as_known_at: date | datetime | None = None) -> tuple[EffectiveRule, ...]:
        """Every relief rule for ``region`` after the amendments known at ``as_known_at`` (all periods)."""
        day = known_day(as_known_at)
        cached = self._rules_cache.get((region, day))
        if cached is not None:
            return cached
        known = [p for p in self.known(day) if p.kind is PolicyKind.RELIEF and p.scope.covers(region)]
        effective: dict[tuple[str, str], EffectiveRule] = {}
        for base in sorted((p for p in known if p.overrides is None), key=lambda p: (p.published, p.id)):
            for rule in base.rules:
                effective[(base.id, rule.id)] = EffectiveRule(rule, base)
        bases = {key[0] for key in effective}
        for override in sorted((p for p in known if p.overrides in bases), key=_order):
            assert override.overrides is not None
            for rule_id, patch in override.amend.items():
                current = effective.get((override.overrides, rule_id))
                if current is not None:
                    amendment = Amendment(override, patch.changed_fields(), patch.clause)
                    effective[(override.overrides, rule_id)] = EffectiveRule(
                        patch.apply(current.rule), current.policy, (*current.amendments, amendment)
                    )
            for rule in override.rules:
                effective[(override.id, rule.id)] = EffectiveRule(rule, override)
        result = tuple(effective.values())
        self._rules_cache[(region, day)] = result
        return result

    def parameters(
        self,
        model: type[P],
        region: str,
        fee_period: FeePeriod | str | None = None,
        as_known_at: date | datetime | None = None,
    ) -> ResolvedParameters[P] | None:
        """The parameters of one kind (by model class) for ``region``; None when no such policy is known.

        ``fee_period`` None ignores the validity windows. Among several base policies of the kind, the
        latest published wins; its overrides for the region then replace single parameters.
        """
        raw = self._resolve(_KIND_OF[model], region, None if fee_period is None else FeePeriod.of(fee_period), as_known_at)
        if raw is None:
            return None
        base, amendments, merged = raw
        return ResolvedParameters(model.model_validate(merged), base, amendments)

    def _resolve(
        self, kind: PolicyKind, region: str, period: FeePeriod | None, as_known_at: date | datetime | None
    ) -> tuple[Policy, tuple[Amendment, ...], dict[str, Any]] | None:
        def applies(policy: Policy) -> bool:
            return policy.kind is kind and policy.scope.covers(region) and (period is None or policy.periods.covers(period))

        known = [p for p in self.known(as_known_at) if applies(p)]
        bases = [p for p in known if p.overrides is None]
        if not bases:
            return None
        base = max(bases, key=lambda p: (p.published, p.id))
        merged = dict(base.parameters or {})
        amendments = []
        for override in sorted((p for p in known if p.overrides == base.id), key=_order):
            merged.update(override.parameters or {})
            amendments.append(Amendment(override, tuple(sorted(override.parameters or {}))))
        return base, tuple(amendments), merged

    def in_force(self, fee_period: FeePeriod | str, region: str, as_known_at: date | datetime | None = None) -> InForce:
        """The relief rules covering ``fee_period`` in ``region`` and every policy that applied there."""
        period = FeePeriod.of(fee_period)
        rules = tuple(r for r in self.rules(region, as_known_at) if r.rule.periods.covers(period))
        policies: dict[str, Policy] = {}
        for rule in rules:
            policies.update((p.id, p) for p in rule.policies)
        for kind in PARAMETER_MODELS:
            raw = self._resolve(kind, region, period, as_known_at)
            if raw is not None:
                policies.update((p.id, p) for p in (raw[0], *(a.policy for a in raw[1])))
        ordered = tuple(sorted(policies.values(), key=lambda p: (p.published, p.id)))
        return InForce(period, region, known_day(as_known_at), rules, ordered)

    # -- checks ---------------------------------------------------------------------------------

    def _check(self, policy: Policy) -> None:
        if policy.overrides is None:
            return
        where = f"policy {policy.id}"
        targets = self.versions(policy.overrides)
        if not targets:
            raise PolicyDataError(
                f"政策{policy.id}覆盖的政策{policy.overrides}不存在", f"{where}: overrides unknown policy {policy.overrides}"
            )
        for target in targets:
            if target.overrides is not None:
                raise PolicyDataError(
                    f"政策{policy.id}只能覆盖基础政策，{target.id}本身是覆盖",
                    f"{where}: overrides {target.id}, which itself overrides {target.overrides} (override a base policy)",
                )
            if target.kind is not policy.kind:
                raise PolicyDataError(
                    f"政策{policy.id}（{policy.kind}）不能覆盖{target.id}（{target.kind}）",
                    f"{where}: a {policy.kind} policy cannot override {target.id}, a {target.kind} policy",
                )
        target = targets[-1]
        if policy.kind is PolicyKind.RELIEF:
            rules = {rule.id: rule for rule in target.rules}
            for rule_id, patch in policy.amend.items():
                if rule_id not in rules:
                    raise PolicyDataError(
                        f"政策{policy.id}修改的规则{rule_id}在{target.id}中不存在",
                        f"{where}: amends rule {rule_id}, which {target.id} does not have (it has {sorted(rules)})",
                    )
                try:
                    patch.apply(rules[rule_id])
                except ValidationError as error:
                    problems = "; ".join(e["msg"] for e in error.errors())
                    raise PolicyDataError(
                        f"政策{policy.id}对规则{rule_id}的修改无效：{problems}", f"{where}: amending {rule_id} gives {problems}"
                    ) from None
        else:
            try:
                PARAMETER_MODELS[policy.kind].model_validate({**(target.parameters or {}), **(policy.parameters or {})})
            except ValidationError as error:
                problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
                raise PolicyDataError(
                    f"政策{policy.id}的参数无效：{problems}", f"{where}: parameters over {target.id}: {problems}"
                ) from None
