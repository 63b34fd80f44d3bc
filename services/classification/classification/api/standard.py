"""POST /v1/size-standard/evaluate: the 2017 standard (国统字〔2017〕213号) as a decision aid."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from classification.api.amounts import WanYuan
from classification.api.deps import as_problems
from classification.application.access import EVERYONE
from classification.domain.standard import FIELD, Evaluation, evaluate
from eventkit.web.auth import Principal, require_roles
from eventkit.web.idempotency import Idempotency, Reply, idempotency

router = APIRouter(tags=["size standard 划型标准"])
SizeName = Literal["large", "medium", "small", "micro", "unclassifiable"]


class EvaluateIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    industry: str = Field(
        min_length=1, max_length=5, description="GB/T 4754-2017 code: section, division, group or class", examples=["C13", "7010"]
    )
    headcount: int | None = Field(default=None, ge=0, le=10_000_000, description="X 从业人员 (persons)")
    revenue: WanYuan | None = Field(default=None, description="Y 营业收入 (万元)")
    assets: WanYuan | None = Field(default=None, description="Z 资产总额 (万元)")


class MeasureOut(BaseModel):
    indicator: Literal["X", "Y", "Z"]
    field: str
    value: str
    size: SizeName
    lower_bounds: dict[str, str] = Field(description="large, medium, small lower bounds (inclusive)")


class EvaluationOut(BaseModel):
    industry: str
    row: str | None = Field(description="the standard's industry row, None when outside the standard")
    row_zh: str | None
    size: SizeName
    indicators: list[MeasureOut] = Field(description="the class each listed indicator gives on its own")
    decided_by: list[Literal["X", "Y", "Z"]] = Field(description="the indicator(s) giving the final (lowest) class")
    reason: str | None = None
    reason_zh: str | None = None


def evaluation_out(e: Evaluation) -> EvaluationOut:
    bounds = {b.indicator: b for b in e.row.bounds} if e.row else {}
    return EvaluationOut(
        industry=e.industry,
        row=e.row.key if e.row else None,
        row_zh=e.row.name_zh if e.row else None,
        size=e.size,  # type: ignore[arg-type]
        indicators=[
            MeasureOut(
                indicator=m.indicator.value,  # type: ignore[arg-type]
                field=FIELD[m.indicator],
                value=format(m.value, "f"),
                size=m.size.value,  # type: ignore[arg-type]
                lower_bounds={
                    "large": str(bounds[m.indicator].large),
                    "medium": str(bounds[m.indicator].medium),
                    "small": str(bounds[m.indicator].small),
                },
            )
            for m in e.measures
        ],
        decided_by=[i.value for i in e.decided_by],  # type: ignore[misc]
        reason=e.reason_en or None,
        reason_zh=e.reason_zh or None,
    )


@router.post("/v1/size-standard/evaluate", response_model=EvaluationOut)
async def evaluate_size(
    body: EvaluateIn,
    _principal: Principal = Depends(require_roles(*EVERYONE)),
    idem: Idempotency = Depends(idempotency),
) -> Response:
    """The class the indicators give (大中小微) under the 2017 standard, the class each indicator gives
    and which decided it; `unclassifiable` for industries outside the standard. Records nothing."""

    async def command(_session: AsyncSession) -> Reply:
        with as_problems():
            result = evaluate(body.industry, headcount=body.headcount, revenue=body.revenue, assets=body.assets)
        return Reply(200, evaluation_out(result).model_dump(mode="json"))

    return await idem.run(command)
