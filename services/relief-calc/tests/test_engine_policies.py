"""Policies as data: the shipped files load; validation names file and field; overrides change a
default without copying it; versions and content hashes; parameters in force."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest
import yaml

from refdata.periods import FeePeriod
from relief_calc.domain.errors import PolicyDataError, UnknownPolicy
from relief_calc.domain.policies import (
    DeferralParameters,
    LateFeeParameters,
    PolicySet,
    SettlementParameters,
    default_policy_dir,
    load_policies,
    parse_policy,
)
from relief_calc.domain.policy_model import Policy, PolicyKind, Relief

POLICIES = load_policies(default_policy_dir())
SHIPPED = {
    "mohrss-2020-11": "人社部发〔2020〕11号",
    "mohrss-2020-49": "人社部发〔2020〕49号",
    "nhsa-2020-6": "医保发〔2020〕6号",
    "hubei-2020": "人社部发〔2020〕11号 第二条（湖北省）",
    "jiangsu-medical-2020-14": "苏医保发〔2020〕14号",
    "sat-2020-33": "税总函〔2020〕33号",
    "deferral-2020-11": "人社部发〔2020〕11号",
    "deferral-2020-49": "人社部发〔2020〕49号",
    "construction-projects-2020": "人社部发〔2020〕11号（工程建设项目按项目参保的实施口径）",
    "social-insurance-law-86": "中华人民共和国社会保险法 第八十六条",
}


def base_text(**changes: object) -> str:
    data: dict[str, object] = {
        "id": "test-policy",
        "document_number": "测试〔2020〕1号",
        "title": "测试",
        "issuer": "测试",
        "published": date(2020, 3, 1),
        "kind": "relief",
        "periods": {"from": "2020-02", "to": "2020-06"},
        "rules": [
            {
                "id": "r1",
                "clause": "一",
                "periods": {"from": "2020-02", "to": "2020-06"},
                "unit_types": ["enterprise"],
                "insurances": ["pension"],
                "relief": "exempt",
            }
        ],
    }
    data.update(changes)
    return yaml.safe_dump(data, allow_unicode=True)


def test_every_shipped_policy_loads_with_its_document() -> None:
    assert {p.id: p.document_number for p in POLICIES.policies} == SHIPPED
    for policy in POLICIES.policies:
        assert policy.content_hash().startswith("sha256:") and len(policy.content_hash()) == 7 + 64
        assert policy.clauses, policy.id


def test_overrides_do_not_copy_the_national_rules() -> None:
    hubei = POLICIES.get("hubei-2020")
    assert hubei.overrides == "mohrss-2020-11" and not hubei.rules and set(hubei.amend) == {"others-halved"}
    assert set(hubei.amend["others-halved"].changed_fields()) == {"relief", "periods.to"}
    national = {r.id: r for r in POLICIES.get("mohrss-2020-11").rules}
    hubei_rules = {r.rule.id: r for r in POLICIES.rules("420100") if r.policy.id == "mohrss-2020-11"}
    assert hubei_rules["others-halved"].rule.relief is Relief.EXEMPT
    assert national["others-halved"].relief is Relief.HALVED
    # Hubei SMEs keep the national rule and 49号's extension
    assert hubei_rules["sme-exempt"].rule.periods.last == FeePeriod(2020, 12)


def test_content_hash_ignores_layout_comments_and_set_order() -> None:
    text = (default_policy_dir() / "mohrss-2020-11.yaml").read_text(encoding="utf-8")
    original = parse_policy(text)
    data = yaml.safe_load(text)
    for rule in data["rules"]:
        rule["insurances"] = list(reversed(rule["insurances"]))
    reordered = yaml.safe_dump(dict(reversed(list(data.items()))), allow_unicode=True, default_flow_style=True)
    assert parse_policy(reordered).content_hash() == original.content_hash()
    data["rules"][0]["periods"]["to"] = "2020-05"
    assert parse_policy(yaml.safe_dump(data, allow_unicode=True)).content_hash() != original.content_hash()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"colour": "red"}, "colour"),
        ({"published": "2020-13-01"}, "published"),
        ({"scope": {"provinces": [42]}}, 'quoted 2-digit code such as "42"'),
        ({"periods": {"from": "2020-06", "to": "2020-02"}}, "ends"),
        ({"periods": {"from": "2020-02", "to": "2020-04"}}, "outside the policy's periods"),
        (
            {
                "rules": [
                    {
                        "id": "r",
                        "clause": "一",
                        "periods": {"from": "2020-02"},
                        "unit_types": ["public_institution"],
                        "insurances": ["pension"],
                        "relief": "halved",
                    }
                ]
            },
            "never get 2020 relief",
        ),
        (
            {
                "rules": [
                    {"id": "r", "clause": "一", "periods": {"from": "2020-02"}, "insurances": ["pension"], "relief": "exempt"}
                ]
            },
            "must list its unit_types",
        ),
        (
            {
                "rules": [
                    {
                        "id": "r",
                        "clause": "一",
                        "periods": {"from": "2020-02", "to": "2020-03"},
                        "unit_types": ["social_organization"],
                        "sizes": ["large"],
                        "insurances": ["pension"],
                        "relief": "halved",
                    }
                ]
            },
            "sizes classify enterprises only",
        ),
        ({"rules": []}, "needs rules"),
        ({"kind": "late_fee"}, "parameters, not rules"),
        ({"amend": {"r1": {"relief": "halved"}}}, "amend needs overrides"),
        ({"overrides": "test-policy"}, "cannot override itself"),
    ],
)
def test_validation_names_the_problem(changes: dict[str, object], message: str) -> None:
    with pytest.raises(PolicyDataError, match=message) as caught:
        parse_policy(base_text(**changes), name="bad.yaml")
    assert "bad.yaml" in caught.value.en and "bad.yaml" in caught.value.zh


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"overrides": "no-such-policy", "rules": [], "amend": {"x": {"relief": "none"}}}, "unknown policy no-such-policy"),
        ({"overrides": "mohrss-2020-11", "rules": [], "amend": {"no-such-rule": {"relief": "none"}}}, "does not have"),
        (
            {"overrides": "mohrss-2020-11", "rules": [], "amend": {"sme-exempt": {"periods": {"to": "2020-12"}}}},
            "outside this policy's periods",
        ),
        (
            {"overrides": "mohrss-2020-11", "rules": [], "amend": {"sme-exempt": {"unit_types": ["public_institution"]}}},
            "never get",
        ),
        ({"overrides": "hubei-2020", "rules": [], "amend": {"others-halved": {"relief": "none"}}}, "itself overrides"),
        ({"overrides": "sat-2020-33", "rules": [], "amend": {"x": {"relief": "none"}}}, "cannot override"),
    ],
)
def test_cross_policy_checks(changes: dict[str, object], message: str) -> None:
    with pytest.raises(PolicyDataError, match=message):
        POLICIES.with_policy(parse_policy(base_text(**changes)))


def test_loader_checks_file_names_and_directories(tmp_path: Path) -> None:
    (tmp_path / "wrong-name.yaml").write_text(base_text(), encoding="utf-8")
    with pytest.raises(PolicyDataError, match="must be named test-policy.yaml"):
        load_policies(tmp_path)
    with pytest.raises(PolicyDataError, match="does not exist"):
        load_policies(tmp_path / "missing")
    (tmp_path / "wrong-name.yaml").unlink()
    with pytest.raises(PolicyDataError, match="no \\*.yaml"):
        load_policies(tmp_path)
    (tmp_path / "test-policy.yaml").write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(PolicyDataError, match="not valid YAML"):
        load_policies(tmp_path)


def test_versions_are_picked_by_publication() -> None:
    first = parse_policy(base_text())
    second = parse_policy(base_text(published=date(2020, 4, 1), periods={"from": "2020-02", "to": "2020-06"}, notes="v2"))
    policies = PolicySet([first, second])
    assert policies.get("test-policy", date(2020, 3, 15)) == first
    assert policies.get("test-policy") == second
    with pytest.raises(UnknownPolicy):
        policies.get("test-policy", date(2020, 2, 1))
    with pytest.raises(PolicyDataError, match="two different versions"):
        PolicySet([first, parse_policy(base_text(notes="other"))])
    assert PolicySet([first, parse_policy(base_text())]).versions("test-policy") == (first,)  # same content: idempotent


def test_a_province_narrowing_survives_the_national_extension() -> None:
    narrowing = parse_policy(
        textwrap.dedent(
            """
            id: zhejiang-2020
            document_number: 浙人社发〔2020〕（测试）
            title: 浙江省实施（测试）
            issuer: 浙江省
            published: 2020-03-01
            kind: relief
            periods: {from: 2020-02, to: 2020-06}
            scope: {provinces: ["33"]}
            overrides: mohrss-2020-11
            amend:
              sme-exempt: {periods: {to: 2020-03}}
            """
        )
    )
    policies = POLICIES.with_policy(narrowing)
    zhejiang = {r.rule.id: r for r in policies.rules("330100")}
    assert zhejiang["sme-exempt"].rule.periods.last == FeePeriod(2020, 3)
    assert [a.policy.id for a in zhejiang["sme-exempt"].amendments] == ["mohrss-2020-49", "zhejiang-2020"]
    jiangsu = {r.rule.id: r for r in policies.rules("320600")}
    assert jiangsu["sme-exempt"].rule.periods.last == FeePeriod(2020, 12)


def test_in_force_lists_the_documents_that_applied() -> None:
    february = {p.id for p in POLICIES.in_force("2020-02", "320600").policies}
    assert {"mohrss-2020-11", "nhsa-2020-6", "jiangsu-medical-2020-14", "sat-2020-33", "social-insurance-law-86"} <= february
    assert "hubei-2020" not in february
    assert "sat-2020-33" not in {p.id for p in POLICIES.in_force("2020-03", "320600").policies}
    assert {p.id for p in POLICIES.in_force("2020-02", "420100").policies} >= {"hubei-2020"}
    assert POLICIES.in_force("2021-01", "320600").rules == ()


def test_parameter_policies_and_their_overrides() -> None:
    deferral_june = POLICIES.parameters(DeferralParameters, "510400", "2020-03", date(2020, 6, 1))
    deferral_july = POLICIES.parameters(DeferralParameters, "510400", "2020-03", date(2020, 7, 1))
    assert deferral_june is not None and deferral_july is not None
    assert deferral_june.values.max_months == 6 and deferral_june.values.latest_period is None
    assert deferral_july.values.latest_period == FeePeriod(2020, 12)
    assert [a.policy.id for a in deferral_july.amendments] == ["deferral-2020-49"]
    settlement = POLICIES.parameters(SettlementParameters, "320600", "2020-02")
    assert settlement is not None and settlement.values.reassess_periods == (FeePeriod(2020, 2),)
    assert POLICIES.parameters(SettlementParameters, "320600", "2020-03") is None
    cap = parse_policy(
        textwrap.dedent(
            """
            id: sichuan-late-fee-cap
            document_number: 川（测试）
            title: 四川省滞纳金上限（测试）
            issuer: 四川省
            published: 2020-01-01
            kind: late_fee
            periods: {from: 2011-07}
            scope: {provinces: ["51"]}
            overrides: social-insurance-law-86
            parameters: {cap_at_principal: true}
            """
        )
    )
    policies = POLICIES.with_policy(cap)
    sichuan = policies.parameters(LateFeeParameters, "510100", "2020-03")
    jiangsu = policies.parameters(LateFeeParameters, "320600", "2020-03")
    assert sichuan is not None and jiangsu is not None
    assert sichuan.values.cap_at_principal is True and jiangsu.values.cap_at_principal is False
    assert str(sichuan.values.daily_rate) == "0.0005"


def test_typed_parameters_and_kinds() -> None:
    law = POLICIES.get("social-insurance-law-86")
    assert law.kind is PolicyKind.LATE_FEE and isinstance(law.typed_parameters(), LateFeeParameters)
    with pytest.raises(TypeError):
        POLICIES.get("mohrss-2020-11").typed_parameters()
    assert isinstance(POLICIES.get("mohrss-2020-49"), Policy)
