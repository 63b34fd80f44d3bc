"""Who may do what (every endpoint names its roles from here): a payer files and follows its own
disputes only; the city social-insurance centre takes disputes in; the statistics bureau (lead),
HR and 经信 record opinions; the province imports data and records corrections; an auditor reads."""

from __future__ import annotations

from eventkit.web.auth import Principal
from eventkit.web.problems import Problem

PAYER = "payer"
INSURANCE_CENTRE = "insurance_centre"  # 市社会保险事务中心
STATS_REVIEWER = "stats_reviewer"  # 统计局 (lead reviewer)
HR_REVIEWER = "hr_reviewer"  # 人社局
ECON_REVIEWER = "econ_reviewer"  # 经信局
PROVINCE_OFFICER = "province_officer"  # 省级共享数据 (imports, corrections)
AUDITOR = "auditor"

REVIEWERS = (STATS_REVIEWER, HR_REVIEWER, ECON_REVIEWER)
OFFICERS = (INSURANCE_CENTRE, *REVIEWERS, PROVINCE_OFFICER, AUDITOR)
EVERYONE = (PAYER, *OFFICERS)


def ensure_own(principal: Principal, credit_code: str) -> None:
    """A payer only sees and acts on its own credit code; every officer role sees all (403 otherwise)."""
    if principal.has_any(OFFICERS):
        return
    if PAYER in principal.roles and principal.payer == credit_code:
        return
    raise Problem(403, "a payer may only see and act on its own records (仅限本单位)", slug="payer-scope")
