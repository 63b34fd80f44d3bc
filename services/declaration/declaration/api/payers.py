"""参保单位登记: register, update and read payers; the supported pooling regions."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from declaration.api.deps import as_problems, get_deps
from declaration.api.schemas import PayerFields, PayerIn, PayerOut, RegionOut
from declaration.api.views import payer_out
from declaration.application import commands
from declaration.application.access import ADMIN, READERS, TAX_OFFICER, WRITERS, ensure_access, ensure_officer_of
from declaration.application.commands import Deps, require_keyring
from declaration.domain.events import Contact, Enrollment, PayerProfile
from declaration.domain.issues import Rejected
from declaration.domain.payers import check_payer
from eventkit.crypto import Keyring, Sealed, mask_name
from eventkit.logging import mask_account, mask_id_number
from eventkit.web.auth import Principal, require_roles
from eventkit.web.idempotency import Idempotency, Reply, idempotency

router = APIRouter(tags=["payers 参保单位"])
CreditCodePath = Annotated[str, Path(pattern=r"^[0-9A-HJ-NP-RTUWXY]{18}$", description="统一社会信用代码")]
BANK_CONTEXT = "declaration/payer.bank_account"
CONTACT_NAME_CONTEXT = "declaration/payer.contact_name"
CONTACT_PHONE_CONTEXT = "declaration/payer.contact_phone"
LEGAL_NAME_CONTEXT = "declaration/payer.legal_representative_name"
LEGAL_ID_CONTEXT = "declaration/payer.legal_representative"
ADDRESS_CONTEXT = "declaration/payer.address"


def normalised_address(address: str) -> str:
    """An address compared by meaning, not by typing: full-width forms folded, spaces dropped."""
    return "".join(unicodedata.normalize("NFKC", address).split()).upper()


def _index(value: str | None, keyring: Keyring | None, context: str) -> str | None:
    return keyring.blind_index(value, context=context) if value is not None and keyring is not None else None


def _reseal(
    value: str | None, current: Sealed | None, keyring: Keyring | None, context: str, mask: Callable[[str], str]
) -> Sealed | None:
    """Seal `value`, reusing the current seal when it holds the same value (each seal has its own
    nonce, so sealing again would look like a change to every reader)."""
    if value is None or keyring is None:
        return None
    if current is not None and current.open(keyring, context) == value:
        return current
    return Sealed.seal(value, keyring, context, mask=mask)


def _profile(
    body: PayerFields, credit_code: str, predecessor: str | None, deps: Deps, current: PayerProfile | None = None
) -> PayerProfile:
    needs_key = (
        body.bank_account is not None
        or body.legal_representative is not None
        or (body.contact is not None and bool(body.contact.name or body.contact.phone))
    )
    keyring = require_keyring(deps) if needs_key else None
    legal = body.legal_representative
    account = "".join(body.bank_account.account_number.split()) if body.bank_account else None
    was = current.contact if current is not None else Contact()
    contact = Contact()
    if body.contact is not None:
        contact = Contact(
            name=_reseal(body.contact.name, was.name, keyring, CONTACT_NAME_CONTEXT, mask_name),
            phone=_reseal(body.contact.phone, was.phone, keyring, CONTACT_PHONE_CONTEXT, mask_account),
        )
    return PayerProfile(
        credit_code=credit_code,
        name=body.name,
        unit_type=body.unit_type,
        region=body.region,
        industry_section=body.industry.section,
        industry_division=body.industry.division,
        work_injury_class=body.work_injury.risk_class,
        work_injury_grade=body.work_injury.floating_grade,
        enrollments=tuple(Enrollment(insurance=e.insurance, since=e.since.isoformat()) for e in body.enrollments),
        bank_name=body.bank_account.bank_name if body.bank_account else None,
        bank_account=_reseal(
            body.bank_account.account_number if body.bank_account else None,
            current.bank_account if current is not None else None,
            keyring,
            BANK_CONTEXT,
            mask_account,
        ),
        contact=contact,
        predecessor=predecessor,
        legal_representative_name=_reseal(
            legal.name if legal else None, current.legal_representative_name if current else None, keyring,
            LEGAL_NAME_CONTEXT, mask_name,
        ),
        legal_representative_id=_reseal(
            legal.id_number if legal else None, current.legal_representative_id if current else None, keyring,
            LEGAL_ID_CONTEXT, mask_id_number,
        ),
        address=body.address,
        bank_account_index=_index(account, keyring, BANK_CONTEXT),
        legal_representative_index=_index(legal.id_number.upper() if legal else None, keyring, LEGAL_ID_CONTEXT),
        address_index=_index(normalised_address(body.address) if body.address else None, keyring, ADDRESS_CONTEXT),
    )  # fmt: skip


def _checked(profile: PayerProfile, deps: Deps) -> PayerProfile:
    issues = check_payer(profile, catalog=deps.catalog, today=deps.today())
    if issues:
        raise Rejected(issues)
    return profile


@router.post("/v1/payers", status_code=201, response_model=PayerOut, responses={201: {"model": PayerOut}})
async def register_payer(
    body: PayerIn,
    request: Request,
    principal: Principal = Depends(require_roles(TAX_OFFICER, ADMIN)),
    idem: Idempotency = Depends(idempotency),
    deps: Deps = Depends(get_deps),
) -> Response:
    """Register a payer (参保单位登记). A tax officer registers payers of its own region only."""
    ensure_officer_of(principal, body.region)

    async def command(session: AsyncSession) -> Reply:
        with as_problems():
            profile = _checked(_profile(body, body.credit_code, body.predecessor, deps), deps)
            await commands.register_payer(session, deps, profile, body.split_effective_period)
            state = await commands.load_payer(session, deps, body.credit_code)
        out = payer_out(state).model_dump(mode="json")
        return Reply(201, out, {"Location": f"/v1/payers/{body.credit_code}"})

    return await idem.run(command)


@router.put("/v1/payers/{credit_code}", response_model=PayerOut)
async def update_payer(
    credit_code: CreditCodePath,
    body: PayerFields,
    principal: Principal = Depends(require_roles(*WRITERS)),
    idem: Idempotency = Depends(idempotency),
    deps: Deps = Depends(get_deps),
) -> Response:
    """Replace a payer's registry entry (the whole entry: send every field)."""

    async def command(session: AsyncSession) -> Reply:
        with as_problems():
            current = commands.agg.require_payer(await commands.load_payer(session, deps, credit_code), credit_code)
            ensure_access(principal, credit_code, current.region, write=True)
            if body.region != current.region:
                ensure_officer_of(principal, body.region)
            profile = _checked(_profile(body, credit_code, current.predecessor, deps, current), deps)
            await commands.update_payer(session, deps, profile)
            state = await commands.load_payer(session, deps, credit_code)
        return Reply(200, payer_out(state).model_dump(mode="json"))

    return await idem.run(command)


@router.get("/v1/payers/{credit_code}", response_model=PayerOut)
async def get_payer(
    credit_code: CreditCodePath,
    request: Request,
    principal: Principal = Depends(require_roles(*READERS)),
    deps: Deps = Depends(get_deps),
) -> PayerOut:
    """A payer's profile; bank account and contact masked."""
    async with request.app.state.sessions() as session:
        with as_problems():
            state = await commands.load_payer(session, deps, credit_code)
            profile = commands.agg.require_payer(state, credit_code)
    ensure_access(principal, credit_code, profile.region, write=False)
    return payer_out(state)


@router.get("/v1/regions", response_model=list[RegionOut])
async def regions(_principal: Principal = Depends(require_roles(*READERS)), deps: Deps = Depends(get_deps)) -> list[RegionOut]:
    """The pooling regions (统筹区) this platform has parameters for."""
    return [RegionOut(code=r.code, name=r.name, province=r.province) for r in deps.catalog.regions()]
