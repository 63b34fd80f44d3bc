"""`GET /v1/dashboard/pipeline` (roles ops, auditor): the pipeline panel of the ops dashboard.
Every service named in `REPORTING_SERVICES` is asked for its `GET /v1/ops/pipeline` (consumer lag,
outbox backlog, dead-lettered events, last rebuild fingerprints) with the caller's own token; the
reporting service adds its own, read in process. A service that does not answer is listed with
`up: false` and the reason."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request

from eventkit.web.auth import Principal, require_roles
from eventkit.web.ops import AUDITOR, OPS, pipeline_of
from reporting.adapters.pipeline_collector import ServiceHealth, poll

router = APIRouter(tags=["dashboard 看板"])
PIPELINE_READERS = (OPS, AUDITOR)  # the roles every service's /v1/ops/pipeline admits


@router.get("/v1/dashboard/pipeline", summary="Pipeline health per service (消费积压, 发件箱积压, 死信, 最近重建指纹)")
async def pipeline(request: Request, principal: Principal = Depends(require_roles(*PIPELINE_READERS))) -> dict[str, Any]:
    settings = request.app.state.settings
    token = request.headers["Authorization"].partition(" ")[2]
    others = await poll(settings.service_urls(), token, settings.pipeline_timeout_s)
    runtime = request.app.state.runtime
    own = (await pipeline_of(runtime, settings.service_version)).model_dump(mode="json")
    services = [*others, ServiceHealth(runtime.definition.name, None, True, own)]
    return {"observed_at": datetime.now(UTC).isoformat(), "services": [s.as_json() for s in services]}
