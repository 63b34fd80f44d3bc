"""Closed vocabularies and their Chinese names."""

from __future__ import annotations

from refdata.enums import Insurance, Size, UnitType


def test_insurances_and_their_names() -> None:
    assert [str(i) for i in Insurance] == ["pension", "unemployment", "work_injury", "medical", "maternity"]
    assert Insurance.PENSION.zh == "基本养老保险"
    assert Insurance.MEDICAL.zh == "职工基本医疗保险"
    assert Insurance("maternity") is Insurance.MATERNITY
    assert not Insurance.WORK_INJURY.has_individual_part and not Insurance.MATERNITY.has_individual_part
    assert Insurance.PENSION.has_individual_part


def test_unit_types_and_sizes() -> None:
    assert {u.value for u in UnitType} == {
        "enterprise",
        "individual_business",
        "social_organization",
        "public_institution",
        "flexible_worker",
    }
    assert all(u.zh for u in UnitType) and UnitType.FLEXIBLE_WORKER.zh == "灵活就业人员"
    assert [s.is_sme for s in Size] == [False, True, True, True]
    assert Size.MICRO.zh == "微型" and Size("large") is Size.LARGE
