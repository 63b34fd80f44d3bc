"""The platform's closed vocabularies, with their Chinese names (``.zh``)."""

from __future__ import annotations

from enum import StrEnum


class Insurance(StrEnum):
    """The five social insurances (险种) collected by the tax bureau."""

    PENSION = "pension"
    UNEMPLOYMENT = "unemployment"
    WORK_INJURY = "work_injury"
    MEDICAL = "medical"
    MATERNITY = "maternity"

    @property
    def zh(self) -> str:
        return _INSURANCE_ZH[self]

    @property
    def has_individual_part(self) -> bool:
        """Whether employees pay a part (个人缴费部分); work injury and maternity are employer-only."""
        return self not in (Insurance.WORK_INJURY, Insurance.MATERNITY)


_INSURANCE_ZH = {
    Insurance.PENSION: "基本养老保险",
    Insurance.UNEMPLOYMENT: "失业保险",
    Insurance.WORK_INJURY: "工伤保险",
    Insurance.MEDICAL: "职工基本医疗保险",
    Insurance.MATERNITY: "生育保险",
}


class UnitType(StrEnum):
    """Type of the insured (参保单位类型), as DOMAIN.md §1 defines it."""

    ENTERPRISE = "enterprise"
    INDIVIDUAL_BUSINESS = "individual_business"
    SOCIAL_ORGANIZATION = "social_organization"
    PUBLIC_INSTITUTION = "public_institution"
    FLEXIBLE_WORKER = "flexible_worker"

    @property
    def zh(self) -> str:
        return _UNIT_TYPE_ZH[self]


_UNIT_TYPE_ZH = {
    UnitType.ENTERPRISE: "企业",
    UnitType.INDIVIDUAL_BUSINESS: "以单位方式参保的个体工商户",
    UnitType.SOCIAL_ORGANIZATION: "民办非企业单位、社会团体、基金会等其他参保单位",
    UnitType.PUBLIC_INSTITUTION: "机关事业单位",
    UnitType.FLEXIBLE_WORKER: "灵活就业人员",
}


class Size(StrEnum):
    """Enterprise size (企业规模) per 统计上大中小微型企业划分办法（2017）."""

    LARGE = "large"
    MEDIUM = "medium"
    SMALL = "small"
    MICRO = "micro"

    @property
    def zh(self) -> str:
        return _SIZE_ZH[self]

    @property
    def is_sme(self) -> bool:
        """中小微企业: medium, small or micro."""
        return self is not Size.LARGE


_SIZE_ZH = {Size.LARGE: "大型", Size.MEDIUM: "中型", Size.SMALL: "小型", Size.MICRO: "微型"}
