"""试算 Preview: the request and response of ``POST /v1/liabilities/preview`` and ``relief-calc preview FILE``.

Request (JSON)::

    {"payer": {"credit_code": "…optional…", "unit_type": "enterprise", "region": "320600", "size": "small"},
     "fee_period": "2020-03",
     "lines": [{"insurance": "pension", "base_fen": 1000000, "employer_rate": "0.16", "individual_rate": "0.08"}],
     "as_known_at": "2020-06-01"}

``as_known_at`` (optional, a day or an ISO time) asks what was known then; omitted, every policy in the
set counts. Rates are optional decimal strings; an omitted one comes from the region's parameters for
the fee period (refdata ``RegionCatalog``): work injury needs ``risk_class`` (1–8, optional
``floating_rate`` grade such as "1.2") when ``employer_rate`` is omitted. ``employer_original_rate``
(the rate before a phased cut) defaults to the region's, when it has one at or above the declared rate.
A construction project is previewed with ``"project": {"started", "planned_months", "premium_fen"}``
in place of ``fee_period`` and ``lines``, the payer being the general contractor.

Response: ``{"fee_period", "status", "lines": [{insurance, relief, employer_original_fen,
employer_relief_fen, employer_payable_fen, individual_fen, trace}], "employer_payable_fen",
"employer_relief_fen", "individual_fen"}``; for a project ``{"relief", "months_in_window",
"relief_fen", "payable_fen", "status", "trace"}``. ``status`` is ``provisional`` when an enterprise's
size is unknown (assessed as large). Errors raise :class:`InvalidRequest` naming the field.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, field_validator, model_validator

from refdata.enums import Insurance, Size, UnitType
from refdata.errors import RefdataError
from refdata.periods import FeePeriod
from refdata.regions import RegionCatalog, RegionParameters
from relief_calc.domain.engine import Line, Payer, assess
from relief_calc.domain.errors import InvalidRequest
from relief_calc.domain.policies import PolicySet, default_policy_dir, load_policies
from relief_calc.domain.policy_model import Rate, RegionCode
from relief_calc.domain.projects import MAX_PLANNED_MONTHS, project_relief

__all__ = ["PreviewRequest", "default_policies", "preview"]


class _In(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PayerIn(_In):
    credit_code: str | None = None
    unit_type: UnitType
    region: RegionCode
    size: Size | None = None


class LineIn(_In):
    insurance: Insurance
    base_fen: Annotated[StrictInt, Field(ge=0)]
    employer_rate: Rate | None = None
    individual_rate: Rate | None = None
    employer_original_rate: Rate | None = None
    risk_class: Annotated[StrictInt, Field(ge=1, le=8)] | None = None
    floating_rate: Rate | None = None


class ProjectIn(_In):
    started: date
    planned_months: Annotated[StrictInt, Field(ge=1, le=MAX_PLANNED_MONTHS)]
    premium_fen: Annotated[StrictInt, Field(ge=0)]


class PreviewRequest(_In):
    payer: PayerIn
    fee_period: str | None = None
    lines: tuple[LineIn, ...] | None = None
    project: ProjectIn | None = None
    as_known_at: date | datetime | None = None

    @field_validator("as_known_at", mode="before")
    @classmethod
    def _known_at(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
            except ValueError:
                raise ValueError(f"as_known_at must be an ISO day (2020-07-01) or time, got {value!r}") from None
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> PreviewRequest:
        if self.project is not None:
            if self.fee_period is not None or self.lines is not None:
                raise ValueError("give either project, or fee_period and lines, not both")
        elif self.fee_period is None or self.lines is None:
            raise ValueError("fee_period and lines are required (or project, for a construction project)")
        elif not self.lines:
            raise ValueError("lines must not be empty")
        return self


@functools.cache
def default_policies() -> PolicySet:
    """The shipped policy files (``services/relief-calc/policies``), loaded once."""
    return load_policies(default_policy_dir())


def preview(
    request_json: Mapping[str, Any], *, policies: PolicySet | None = None, catalog: RegionCatalog | None = None
) -> dict[str, Any]:
    """The preview response for ``request_json`` (see the module docstring)."""
    request = _parse(request_json)
    policies = default_policies() if policies is None else policies
    catalog = RegionCatalog.default() if catalog is None else catalog
    try:
        payer = Payer(unit_type=request.payer.unit_type, region=request.payer.region, credit_code=request.payer.credit_code)
    except ValidationError as error:
        raise _invalid(error, prefix="payer") from None
    if request.project is not None:
        project = request.project
        result = project_relief(
            payer,
            request.payer.size,
            started=project.started,
            planned_months=project.planned_months,
            premium_fen=project.premium_fen,
            policies=policies,
            as_known_at=request.as_known_at,
        )
        return result.to_json()
    assert request.fee_period is not None and request.lines is not None
    try:
        period = FeePeriod.parse(request.fee_period)
    except RefdataError as error:
        raise InvalidRequest(error.zh, error.en, field="fee_period") from None
    try:
        params: RegionParameters | None = catalog.parameters(payer.region, period)
        missing: RefdataError | None = None
    except RefdataError as error:
        params, missing = None, error
    lines = [_line(line, index, params, missing) for index, line in enumerate(request.lines)]
    rounding = params.rounding if params is not None else ROUND_HALF_UP
    assessment = assess(payer, period, lines, request.payer.size, policies, request.as_known_at, rounding=rounding)
    return assessment.to_json()


def _parse(request_json: Mapping[str, Any]) -> PreviewRequest:
    if not isinstance(request_json, Mapping):
        raise InvalidRequest("请求体必须是JSON对象", "the request must be a JSON object")
    try:
        return PreviewRequest.model_validate(dict(request_json))
    except ValidationError as error:
        raise _invalid(error) from None


def _invalid(error: ValidationError, *, prefix: str = "") -> InvalidRequest:
    problems = []
    first = None
    for item in error.errors():
        where = ".".join(str(part) for part in (prefix, *item["loc"]) if part != "") or "(request)"
        first = first or where
        problems.append(f"{where}: {item['msg']}")
    text = "; ".join(problems)
    return InvalidRequest(f"请求有误：{text}", text, field=first)


def _line(line: LineIn, index: int, params: RegionParameters | None, missing: RefdataError | None) -> Line:
    where = f"lines.{index}"
    sources: dict[str, str] = {}

    def region_params(what: str) -> RegionParameters:
        if params is None:
            assert missing is not None
            raise InvalidRequest(
                f"{where}：未给出{what}，且无法取得统筹区参数：{missing.zh}",
                f"{where}: {what} not given and the region's parameters are unavailable: {missing.en}",
                field=f"{where}.{what}",
            )
        return params

    try:
        employer = line.employer_rate
        if employer is not None:
            sources["employer_rate"] = "request"
        elif line.insurance is Insurance.WORK_INJURY:
            if line.risk_class is None:
                raise InvalidRequest(
                    f"{where}：工伤保险需给出employer_rate或行业风险类别risk_class",
                    f"{where}: work injury needs employer_rate or the payer's risk_class (1-8)",
                    field=f"{where}.risk_class",
                )
            employer = region_params("employer_rate").work_injury_rate(line.risk_class, line.floating_rate)
            sources["employer_rate"] = f"region {region_params('employer_rate').region} class {line.risk_class} rate"
        else:
            employer = region_params("employer_rate").rates[line.insurance].employer
            sources["employer_rate"] = f"region {region_params('employer_rate').region} parameters"
        individual = line.individual_rate
        if individual is None:
            if line.insurance.has_individual_part:
                individual = region_params("individual_rate").rates[line.insurance].individual
                sources["individual_rate"] = "region parameters"
            else:
                individual = Decimal(0)
        original = line.employer_original_rate
        if original is None and params is not None:
            original = _region_original(line, params)
            if original is not None and original < employer:
                original = None  # the declared rate is above the region's pre-cut rate: nothing was cut
            if original is not None:
                sources["employer_original_rate"] = f"region {params.region} rate before the phased cut"
        return Line(
            insurance=line.insurance,
            base_fen=line.base_fen,
            employer_rate=employer,
            individual_rate=individual,
            employer_original_rate=original,
            sources=sources,
        )
    except ValidationError as error:
        raise _invalid(error, prefix=where) from None
    except RefdataError as error:
        raise InvalidRequest(f"{where}：{error.zh}", f"{where}: {error.en}", field=where) from None


def _region_original(line: LineIn, params: RegionParameters) -> Decimal | None:
    if line.insurance is Insurance.WORK_INJURY:
        if line.risk_class is None or params.work_injury_original_class_rates is None:
            return None
        return params.work_injury_original_rate(line.risk_class, line.floating_rate)
    return params.rates[line.insurance].employer_original
