"""新设骗取减免资质: payers registered inside a relief window that share a bank account, legal
representative or address with an earlier payer, for officers to audit."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from classification.adapters.tables import abuse_flags, payer_marks
from classification.application.access import OFFICERS
from eventkit.web.auth import Principal, require_roles

router = APIRouter(tags=["abuse signal 新设骗取减免资质"])


class AbuseFlagOut(BaseModel):
    new_payer: str
    new_payer_name: str
    new_registered_on: str
    existing_payer: str
    existing_payer_name: str
    existing_registered_on: str
    shared: Literal["bank_account", "legal_representative", "address"]
    declared_split: bool
    flagged_at: datetime


@router.get("/v1/abuse-flags", response_model=list[AbuseFlagOut])
async def list_abuse_flags(
    request: Request,
    credit_code: Annotated[str | None, Query(pattern=r"^[0-9A-HJ-NP-RTUWXY]{18}$", description="flags of this new payer")] = None,
    _principal: Principal = Depends(require_roles(*OFFICERS)),
) -> list[AbuseFlagOut]:
    """Flags for audit, newest registrations first. `declared_split`: the pair is a registered group
    split (攀钢), shown for context, still flagged."""
    new, old = payer_marks.alias("new"), payer_marks.alias("old")
    f = abuse_flags
    q = (
        sa.select(f, new.c.name.label("new_payer_name"), old.c.name.label("existing_payer_name"))
        .join(new, new.c.credit_code == f.c.new_payer)
        .join(old, old.c.credit_code == f.c.existing_payer)
        .order_by(f.c.new_registered_on.desc(), f.c.new_payer, f.c.existing_payer, f.c.kind)
    )
    if credit_code:
        q = q.where(f.c.new_payer == credit_code)
    async with request.app.state.sessions() as s:
        rows = (await s.execute(q)).all()
    return [AbuseFlagOut(shared=r.kind, **{k: v for k, v in r._mapping.items() if k != "kind"}) for r in rows]
