"""The abuse signal's read model (projection `payer-marks`, fed by declaration.events through the
tolerant readers): payers' registration dates and blind-indexed keys, and the flags they raise.

Bank accounts are opened with the data keyring (when the service has one: `configure`) and
indexed under the declaration's own context, so an index the registry may one day publish itself
is the same value. Only the index is stored; the account never is."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from classification.adapters import registry_reader as r
from classification.adapters.tables import abuse_flags, payer_keys, payer_marks
from classification.adapters.topics import DECLARATION_TOPIC
from classification.domain.abuse import Registered, flagged_pair, is_split
from eventkit.crypto import DecryptionError, Keyring
from eventkit.db import upsert_insert
from eventkit.events import Message
from eventkit.projection import Projection
from eventkit.settings import ServiceSettings

log = logging.getLogger(__name__)
_keyring: list[Keyring | None] = [None]


def configure(settings: ServiceSettings) -> None:
    """Take the data keyring from the settings (ServiceSpec.configure: serve and rebuild alike)."""
    _keyring[0] = settings.keyring()


def _keys(p: r.RegisteredProfile) -> dict[str, str]:
    keys = {"legal_representative": p.legal_representative_index, "address": p.address_index}
    bank = p.bank_account_index
    keyring = _keyring[0]
    if bank is None and p.bank_account is not None and keyring is not None:
        try:
            bank = keyring.blind_index("".join(p.bank_account.open(keyring, r.BANK_CONTEXT).split()), context=r.BANK_CONTEXT)
        except DecryptionError:
            log.warning("bank account of %s sealed with a key this service does not hold; not compared", p.credit_code)
    keys["bank_account"] = bank
    return {k: v for k, v in keys.items() if v}


def _registered_on(p: r.RegisteredProfile) -> str | None:
    return min((e.since[:10] for e in p.enrollments), default=None)


async def apply(session: AsyncSession, msg: Message) -> None:
    e = msg.event
    if not isinstance(e, r.PayerRegistered | r.PayerUpdated):
        return
    p = e.profile
    since = _registered_on(p)
    current = (await session.execute(sa.select(payer_marks).where(payer_marks.c.credit_code == p.credit_code))).first()
    if since is None and current is None:
        return
    values: dict[str, Any] = {
        "name": p.name,
        "region": p.region,
        "registered_on": min(x for x in (since, current.registered_on if current else None) if x),
        "predecessor": p.predecessor,
        "first_seen": current.first_seen if current else msg.envelope.time,
    }
    stmt = upsert_insert(session, payer_marks).values(credit_code=p.credit_code, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=["credit_code"], set_=values))
    for kind, index in _keys(p).items():  # keys once held stay known: the signal is about history
        stmt = upsert_insert(session, payer_keys).values(kind=kind, blind_index=index, credit_code=p.credit_code)
        await session.execute(stmt.on_conflict_do_nothing())
    await _reflag(session, p.credit_code)


async def _reflag(session: AsyncSession, credit_code: str) -> None:
    """Recompute every flag the payer takes part in from the stored marks and keys."""
    f = abuse_flags
    await session.execute(sa.delete(f).where(sa.or_(f.c.new_payer == credit_code, f.c.existing_payer == credit_code)))
    mine, theirs = payer_keys.alias("mine"), payer_keys.alias("theirs")
    shared = (
        await session.execute(
            sa.select(theirs.c.credit_code, theirs.c.kind)
            .join(mine, sa.and_(mine.c.kind == theirs.c.kind, mine.c.blind_index == theirs.c.blind_index))
            .where(mine.c.credit_code == credit_code, theirs.c.credit_code != credit_code)
            .distinct()
        )
    ).all()
    if not shared:
        return
    codes = {credit_code, *(s.credit_code for s in shared)}
    marks = {
        m.credit_code: m
        for m in (await session.execute(sa.select(payer_marks).where(payer_marks.c.credit_code.in_(codes)))).all()
    }
    me = marks[credit_code]
    for other, kind in sorted(set(shared)):
        them = marks[other]
        pair = flagged_pair(_registered(me), _registered(them))
        if pair is None:
            continue
        new, existing = pair
        values = {
            "new_registered_on": new.registered_on.isoformat(),
            "existing_registered_on": existing.registered_on.isoformat(),
            "declared_split": is_split(new, existing),
            "flagged_at": max(me.first_seen, them.first_seen),
        }
        stmt = upsert_insert(session, f).values(
            new_payer=new.credit_code, existing_payer=existing.credit_code, kind=kind, **values
        )
        await session.execute(stmt.on_conflict_do_nothing())


def _registered(row: Any) -> Registered:
    return Registered(row.credit_code, date.fromisoformat(row.registered_on), row.predecessor)


def projection() -> Projection:
    return Projection(
        name="payer-marks",
        topics=(DECLARATION_TOPIC,),
        tables=(payer_marks, payer_keys, abuse_flags),
        handler=apply,
        registry=r.registry_reader,
        ignore=r.IGNORED_PREFIXES,
    )
