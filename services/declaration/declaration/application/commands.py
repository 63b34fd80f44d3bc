"""The declaration service's commands. Each runs inside the caller's transaction (the
Idempotency-Key wrapper's), loads its aggregate from the event store, decides, and appends; so
the decision, its events, their outbox rows and the stored HTTP response commit together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from declaration.domain import aggregates as agg
from declaration.domain.audit import base_increases, in_relief_window
from declaration.domain.declaring import ComputedLine, DeclarationInput, check, compute
from declaration.domain.events import DeclarationContent, DeclarationLine, Employee, PayerProfile
from declaration.domain.issues import Issue, Rejected
from eventkit.crypto import Keyring, Sealed, mask_name
from eventkit.logging import mask_id_number
from eventkit.store import EventStore
from refdata.periods import FeePeriod
from refdata.regions import RegionCatalog

ID_CONTEXT = "declaration/employee.id_number"
NAME_CONTEXT = "declaration/employee.name"


@dataclass(frozen=True)
class Deps:
    store: EventStore
    catalog: RegionCatalog
    keyring: Keyring | None
    today: Callable[[], date] = date.today


def require_keyring(deps: Deps) -> Keyring:
    if deps.keyring is None:
        raise Rejected(
            [
                Issue(
                    "(server)",
                    "data_key.missing",
                    "服务未配置个人数据加密密钥",
                    "the service has no data encryption key configured",
                )
            ],
            status=503,
            slug="data-key-missing",
        )
    return deps.keyring


async def load_payer(session: AsyncSession, deps: Deps, credit_code: str) -> agg.PayerState:
    return agg.fold_payer(m.event for m in await deps.store.load(session, agg.payer_stream(credit_code)))


async def load_declaration(session: AsyncSession, deps: Deps, credit_code: str, fee_period: str) -> agg.DeclarationState:
    stream = agg.declaration_stream(credit_code, fee_period)
    return agg.fold_declaration(m.event for m in await deps.store.load(session, stream))


# ---- payers -------------------------------------------------------------------------------------
async def register_payer(session: AsyncSession, deps: Deps, profile: PayerProfile, effective_period: str | None) -> PayerProfile:
    state = await load_payer(session, deps, profile.credit_code)
    events = agg.register(state, profile)
    if profile.predecessor:
        if profile.predecessor == profile.credit_code:
            raise Rejected(
                [Issue("predecessor", "predecessor.self", "前身单位不能是自身", "a payer cannot be its own predecessor")]
            )
        predecessor = await load_payer(session, deps, profile.predecessor)
        if predecessor.profile is None:
            raise Rejected(
                [
                    Issue(
                        "predecessor",
                        "predecessor.unknown",
                        "前身单位未登记",
                        f"predecessor {profile.predecessor} is not registered",
                    )
                ]
            )
        split = agg.split_from(
            predecessor, profile.predecessor, profile.credit_code, effective_period or _first_enrolment(profile)
        )
        await deps.store.append(
            session, agg.payer_stream(profile.predecessor), predecessor.version, split, subject=profile.predecessor
        )
    await deps.store.append(session, agg.payer_stream(profile.credit_code), state.version, events, subject=profile.credit_code)
    return profile


async def update_payer(session: AsyncSession, deps: Deps, profile: PayerProfile) -> PayerProfile:
    state = await load_payer(session, deps, profile.credit_code)
    current = agg.require_payer(state, profile.credit_code)
    if profile.predecessor != current.predecessor:
        raise Rejected([Issue("predecessor", "predecessor.immutable", "前身单位登记后不可修改", "the predecessor cannot change")])
    events = agg.update(state, profile)
    await deps.store.append(session, agg.payer_stream(profile.credit_code), state.version, events, subject=profile.credit_code)
    return profile


def _first_enrolment(profile: PayerProfile) -> str:
    return min((e.since for e in profile.enrollments), default=date.today().isoformat())[:7]


# ---- declarations -------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeclareResult:
    content: DeclarationContent
    corrected: bool


async def self_check(
    session: AsyncSession, deps: Deps, credit_code: str, decl: DeclarationInput
) -> tuple[PayerProfile, list[Issue]]:
    profile = agg.require_payer(await load_payer(session, deps, credit_code), credit_code)
    return profile, check(profile, decl, catalog=deps.catalog, today=deps.today()).issues


async def declare(
    session: AsyncSession,
    deps: Deps,
    credit_code: str,
    decl: DeclarationInput,
    *,
    correction_reason: str | None = None,
    upload: tuple[str, int] | None = None,
) -> DeclareResult:
    profile = agg.require_payer(await load_payer(session, deps, credit_code), credit_code)
    result = check(profile, decl, catalog=deps.catalog, today=deps.today())
    if not result.ok or result.parameters is None or result.period is None:
        raise Rejected(result.issues)
    period = str(result.period)
    lines = tuple(_line(c, deps) for c in compute(profile, decl, result.parameters))
    state = await load_declaration(session, deps, credit_code, period)
    audit = []
    if in_relief_window(result.period):
        reference = await _reference_lines(session, deps, credit_code, result.period, state)
        audit = base_increases(lines, reference)
    content = DeclarationContent(
        declaration_id=agg.declaration_id(credit_code, period),
        credit_code=credit_code,
        fee_period=period,
        revision=state.revision + 1,
        region=profile.region,
        unit_type=profile.unit_type,
        lines=lines,
        employer_fen=sum(line.employer_fen for line in lines),
        individual_fen=sum(line.individual_fen for line in lines),
        audit_hold=bool(audit),
        upload_id=upload[0] if upload else None,
        upload_row=upload[1] if upload else None,
    )
    if correction_reason is not None:
        events = agg.correct(state, content, audit, correction_reason)
    else:
        events = agg.submit(state, content, audit)
    await deps.store.append(session, agg.declaration_stream(credit_code, period), state.version, events, subject=credit_code)
    return DeclareResult(content, corrected=correction_reason is not None)


async def _reference_lines(
    session: AsyncSession, deps: Deps, credit_code: str, period: FeePeriod, state: agg.DeclarationState
) -> tuple[DeclarationLine, ...]:
    """What a new base is compared with: the revision it replaces, else the previous month's."""
    if state.content is not None and state.status != agg.VOIDED:
        return state.content.lines
    previous = await load_declaration(session, deps, credit_code, str(period.prev()))
    if previous.content is not None and previous.status != agg.VOIDED:
        return previous.content.lines
    return ()


def _line(c: ComputedLine, deps: Deps) -> DeclarationLine:
    employees: tuple[Employee, ...] = ()
    if c.employees:
        keyring = require_keyring(deps)
        employees = tuple(
            Employee(
                id_number=Sealed.seal(e.id_number, keyring, ID_CONTEXT, mask=mask_id_number),
                id_index=keyring.blind_index(e.id_number, context=ID_CONTEXT),
                name=Sealed.seal(e.name, keyring, NAME_CONTEXT, mask=mask_name),
                base_fen=e.base_fen,
            )
            for e in c.employees
        )
    return DeclarationLine(
        insurance=str(c.insurance),
        headcount=c.headcount,
        base_fen=c.base_fen,
        employer_rate=str(c.employer_rate),
        individual_rate=str(c.individual_rate),
        employer_original_rate=None if c.employer_original_rate is None else str(c.employer_original_rate),
        employer_fen=c.employer_fen,
        individual_fen=c.individual_fen,
        employees=employees,
    )


async def void_declaration(session: AsyncSession, deps: Deps, credit_code: str, fee_period: str, reason: str) -> int:
    state = await load_declaration(session, deps, credit_code, fee_period)
    events = agg.void(state, credit_code, fee_period, reason)
    await deps.store.append(session, agg.declaration_stream(credit_code, fee_period), state.version, events, subject=credit_code)
    return state.revision


async def decide_audit(
    session: AsyncSession, deps: Deps, credit_code: str, fee_period: str, *, approve: bool, officer: str, note: str
) -> int:
    state = await load_declaration(session, deps, credit_code, fee_period)
    events = agg.decide_audit(state, credit_code, fee_period, approve=approve, officer=officer, note=note)
    await deps.store.append(session, agg.declaration_stream(credit_code, fee_period), state.version, events, subject=credit_code)
    return state.revision
