"""Payments parked for an officer (money the bank notified that no ledger took): the list, and
the officer's resolution — assign the money to a payer's ledger, or return it. One resolution per
parked payment: a second (also a concurrent one) is a 409."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.web.auth import Principal, require_roles
from eventkit.web.idempotency import Idempotency, idempotency
from refdata.codes import validate_credit_code
from refdata.errors import InvalidCode
from refund.api.problems import as_problems
from refund.application import parked
from refund.domain.allocation import SettlementRule
from refund.domain.parked import Assignment

router = APIRouter(tags=["bank 银行"])
OFFICERS = ("tax_officer", "auditor", "admin")
RESOLVERS = ("tax_officer",)
BankReference = Annotated[str, Path(min_length=1, max_length=35, description="the bank's reference (AcctSvcrRef)")]
Note = Annotated[str, Field(min_length=1, max_length=1000, description="why: the officer's grounds (处理依据)")]


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    credit_code: str = Field(description="统一社会信用代码 of the payer whose ledger takes the money")
    fee_period: str | None = Field(None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="the period to pay first")
    insurance: Literal["pension", "unemployment", "work_injury", "medical", "maternity"] | None = None
    note: Note

    @field_validator("credit_code")
    @classmethod
    def _valid_code(cls, v: str) -> str:
        try:
            validate_credit_code(v)
        except InvalidCode as exc:
            raise ValueError(exc.en) from None
        return v


class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Note


@router.get("/v1/bank/parked")
async def list_parked(
    request: Request,
    status: Literal["open", "resolved"] | None = Query(
        None, description="open: not resolved yet; resolved: assigned or returned"
    ),
    _: Principal = Depends(require_roles(*OFFICERS)),
) -> dict[str, Any]:
    """Money the bank notified that could not be put on a ledger, oldest first (accounts masked),
    each with its status and, once resolved, how, by whom and when."""
    async with request.app.state.sessions() as session:
        return {"items": await parked.listing(session, status)}


@router.post("/v1/bank/parked/{bank_reference}/assign")
async def assign(
    bank_reference: BankReference,
    body: AssignIn,
    request: Request,
    principal: Principal = Depends(require_roles(*RESOLVERS)),
    idem: Idempotency = Depends(idempotency),
) -> Response:
    """Put the parked money on the payer's ledger as a normal payment (payment id `P-<bank
    reference>`; allocated to `fee_period`/`insurance` first when given, then oldest first; an
    excess becomes a credit), and record who resolved it and why."""
    store = request.app.state.runtime.store
    a = Assignment(body.credit_code, body.note, principal.sub, "tax_officer", body.fee_period, body.insurance)

    async def command(session: AsyncSession) -> tuple[int, Any]:
        with as_problems():
            return 200, await parked.assign(session, store, bank_reference, a, SettlementRule())

    return await idem.run(command)


@router.post("/v1/bank/parked/{bank_reference}/return")
async def send_back(
    bank_reference: BankReference,
    body: ReturnIn,
    request: Request,
    principal: Principal = Depends(require_roles(*RESOLVERS)),
    idem: Idempotency = Depends(idempotency),
) -> Response:
    """Record that the parked money is to be sent back to the payer (the transfer itself is not
    instructed yet)."""
    store = request.app.state.runtime.store

    async def command(session: AsyncSession) -> tuple[int, Any]:
        with as_problems():
            return 200, await parked.send_back(
                session, store, bank_reference, note=body.note, by=principal.sub, role="tax_officer"
            )

    return await idem.run(command)
