"""Who may read which report (BOLA). The roles (tokens from the kernel's auth, eventkit.web.auth):

* ``ops`` (operations staff) and ``auditor`` (read only) and ``admin``: every report, every region;
* ``tax_officer``: the per-payer report, the 免减缓 analysis and the dashboard of its own pooling
  region (the token's ``region`` claim) only;
* ``medical_officer``: the 职工医保 statistics table of its own city (the ``region`` claim) only,
  and the fund figures of that city, which it alone enters (with ``admin``).

A scoped officer asking for another region, or holding no region claim, gets 403."""

from __future__ import annotations

from eventkit.web.auth import ADMIN, Principal
from eventkit.web.problems import FieldError, Problem

OPS, TAX_OFFICER, MEDICAL_OFFICER, AUDITOR = "ops", "tax_officer", "medical_officer", "auditor"
NATIONWIDE = (OPS, AUDITOR, ADMIN)
REPORT_READERS = (OPS, TAX_OFFICER, AUDITOR, ADMIN)
MEDICAL_READERS = (OPS, MEDICAL_OFFICER, AUDITOR, ADMIN)
FUND_WRITERS = (MEDICAL_OFFICER, ADMIN)
REGION = r"^\d{6}$"
PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"


def region_scope(principal: Principal, requested: str | None) -> str | None:
    """The region the caller's report covers: the one asked for (None: all) for nationwide roles;
    the caller's own for a regional officer (403 for another)."""
    if principal.has_any(NATIONWIDE):
        return requested
    own = principal.region
    if own is None:
        raise Problem(403, "this token names no region (令牌未指定统筹区)", slug="forbidden-region")
    if requested not in (None, own):
        raise Problem(403, f"only reports of region {own} (仅限本统筹区)", slug="forbidden-region")
    return own


def ensure_city(principal: Principal, region: str) -> None:
    """The medical table and fund figures of `region`: nationwide roles, or its own medical officer."""
    if principal.has_any(NATIONWIDE) or principal.region == region:
        return
    raise Problem(403, f"only the medical-security officer of {region} (仅限本市医保部门)", slug="forbidden-region")


def check_range(period_from: str | None, period_to: str | None) -> None:
    if period_from and period_to and period_from > period_to:
        reason = f"from {period_from} is after to {period_to}"
        raise Problem(
            422, reason, slug="validation-failed", errors=[FieldError("query.from", reason, "起始所属期晚于截止所属期", "range")]
        )
