"""Who may act on which payer (BOLA): a payer only on its own credit code, a tax officer only on
payers of its pooling region, an auditor only reads, an admin anywhere."""

from __future__ import annotations

from eventkit.web.auth import Principal
from eventkit.web.problems import Problem

PAYER = "payer"
TAX_OFFICER = "tax_officer"
AUDITOR = "auditor"
ADMIN = "admin"

READERS = (PAYER, TAX_OFFICER, AUDITOR, ADMIN)
WRITERS = (PAYER, TAX_OFFICER, ADMIN)
OFFICERS = (TAX_OFFICER, ADMIN)


def may_access(principal: Principal, credit_code: str, region: str | None, *, write: bool) -> bool:
    if ADMIN in principal.roles:
        return True
    if TAX_OFFICER in principal.roles and principal.region is not None and principal.region == region:
        return True
    if PAYER in principal.roles and principal.payer == credit_code:
        return True
    return not write and AUDITOR in principal.roles


def ensure_access(principal: Principal, credit_code: str, region: str | None, *, write: bool) -> None:
    if not may_access(principal, credit_code, region, write=write):
        raise Problem(
            403,
            f"not allowed to {'change' if write else 'read'} the records of payer {credit_code} "
            f"(无权{'修改' if write else '查看'}该参保单位的记录)",
            slug="forbidden-payer",
        )


def ensure_officer_of(principal: Principal, region: str) -> None:
    if ADMIN in principal.roles or (TAX_OFFICER in principal.roles and principal.region == region):
        return
    raise Problem(403, f"only a tax officer of region {region} may do this (仅限该统筹区税务人员)", slug="forbidden-region")
