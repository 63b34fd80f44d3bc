"""The assessed liability of a construction project insured per project (工程建设项目按项目参保) over
REST: the lump-sum premium, its prorated relief and what is payable, with every assessment of it,
read from the event store (stream ``project-liability-<credit code>-<project code>``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request

from eventkit.web.auth import Principal, ensure_payer_scope, require_roles
from eventkit.web.problems import Problem
from relief_calc.api.liabilities import READERS, STAFF, CreditCode
from relief_calc.domain.project_liability_events import (
    ProjectLiabilityAssessed,
    ProjectLiabilityReassessed,
    project_liability_stream,
)

router = APIRouter(tags=["projects 工程建设项目"])
ProjectCode = Annotated[str, Path(pattern=r"^[0-9A-Z][0-9A-Z-]{2,29}$", description="项目编号")]


@router.get("/v1/payers/{credit_code}/projects/{project_code}/liability")
async def get_project_liability(
    credit_code: CreditCode, project_code: ProjectCode, request: Request, principal: Principal = Depends(require_roles(*READERS))
) -> dict[str, Any]:
    """A project's liability as it now stands (premium, relief, payable, the months relieved, the
    inputs it was derived from) and its history. Roles: payer (the general contractor, its own
    projects only), tax, hr, finance and econ officers, auditor, admin."""
    ensure_payer_scope(principal, credit_code, officer_roles=STAFF)
    async with request.app.state.sessions() as session:
        events = await request.app.state.runtime.store.load(session, project_liability_stream(credit_code, project_code))
    if not events:
        raise Problem(
            404, f"no liability of project {project_code} of {credit_code} (尚未核定)", slug="project-liability-not-found"
        )
    history: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    for msg in events:
        e = msg.event
        assert isinstance(e, ProjectLiabilityAssessed | ProjectLiabilityReassessed)
        entry: dict[str, Any] = {
            "version": msg.envelope.streamversion,
            "event": e.name.split(".")[-1],
            "at": msg.envelope.time.isoformat(),
            "relief_fen": e.liability.relief_fen,
            "payable_fen": e.liability.payable_fen,
        }
        if isinstance(e, ProjectLiabilityReassessed):
            entry |= {
                "reasons": list(e.reasons),
                "payable_delta_fen": e.payable_delta_fen,
                "relief_delta_fen": e.relief_delta_fen,
            }
        current = e.liability.model_dump(mode="json")
        history.append(entry)
    return {
        "credit_code": credit_code,
        "project_code": project_code,
        "status": current["status"],
        "version": events[-1].envelope.streamversion,
        "liability": current,
        "history": history,
    }
