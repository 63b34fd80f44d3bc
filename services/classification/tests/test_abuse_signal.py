"""新设骗取减免资质: payers registered inside the relief window sharing a bank account with an
earlier payer are flagged, whatever order their registrations are read in (real declaration
events, sealed bank accounts, PostgreSQL and Kafka)."""

from __future__ import annotations

from typing import Any

from declaration.api.payers import ADDRESS_CONTEXT, LEGAL_ID_CONTEXT, normalised_address
from declaration.domain.events import Enrollment, PayerProfile, PayerRegistered
from eventkit.crypto import Sealed
from eventkit.events import new_envelope
from eventkit.testing.proofs import produce

BANK = "declaration/payer.bank_account"


def registered(svc: Any, code: str, since: str, account: str, predecessor: str | None = None) -> Any:
    profile = PayerProfile(
        credit_code=code,
        name=f"单位{code[-4:]}",
        unit_type="enterprise",
        region="510400",
        industry_section="C",
        work_injury_class=2,
        enrollments=(Enrollment(insurance="pension", since=since),),
        bank_name="工行",
        bank_account=Sealed.seal(account, svc.keyring, BANK),
        predecessor=predecessor,
    )
    return new_envelope(
        PayerRegistered(profile=profile), source="/relief/declaration", subject=code, stream_id=f"payer-{code}", stream_version=1
    )


async def test_new_payers_in_the_window_sharing_a_bank_account_are_flagged(service: Any, code: Any) -> None:
    old, new, other, late, split = code(91), code(92), code(93), code(94), code(95)
    shared = "6222020200009999001"
    await produce(
        service.bootstrap,
        "declaration.events",
        [
            registered(service, new, "2020-03-01", "6222 0202 0000 9999 001"),  # read before the payer it copies
            registered(service, old, "2015-01-01", shared),
            registered(service, other, "2020-04-01", "6222020200001111222"),
            registered(service, late, "2021-02-01", shared),  # after the window
            registered(service, split, "2020-05-01", shared, predecessor=old),  # a declared group split
        ],
    )

    async def flags() -> Any:
        r = await service.client.get("/v1/abuse-flags", headers=service.token("auditor"))
        assert r.status_code == 200, r.text
        mine = [x for x in r.json() if x["new_payer"] in (old, new, other, late, split)]
        return mine if len(mine) >= 3 else None

    found = await service.wait_for(flags)
    assert [(x["new_payer"], x["existing_payer"], x["shared"], x["declared_split"]) for x in found] == [
        (split, old, "bank_account", True),
        (split, new, "bank_account", False),
        (new, old, "bank_account", False),
    ]
    assert found[2]["new_registered_on"] == "2020-03-01" and found[2]["existing_registered_on"] == "2015-01-01"
    assert shared not in str(found)
    assert (await service.client.get("/v1/abuse-flags", headers=service.token("payer", payer=new))).status_code == 403


def with_keys(svc: Any, code: str, since: str, legal_id: str, address: str) -> Any:
    """A registration as the declaration service publishes it: the legal representative's ID and
    the address only as blind indexes (the contexts and normalisation of declaration.api.payers)."""
    profile = PayerProfile(
        credit_code=code, name=f"单位{code[-4:]}", unit_type="enterprise", region="510400", industry_section="C",
        work_injury_class=2, enrollments=(Enrollment(insurance="pension", since=since),),
        legal_representative_index=svc.keyring.blind_index(legal_id, context=LEGAL_ID_CONTEXT),
        address_index=svc.keyring.blind_index(normalised_address(address), context=ADDRESS_CONTEXT),
    )  # fmt: skip
    return new_envelope(
        PayerRegistered(profile=profile), source="/relief/declaration", subject=code, stream_id=f"payer-{code}", stream_version=1
    )


async def test_new_payers_sharing_a_legal_representative_or_an_address_are_flagged(service: Any, code: Any) -> None:
    old, same_person, same_place, unrelated = code(81), code(82), code(83), code(84)
    await produce(
        service.bootstrap,
        "declaration.events",
        [
            with_keys(service, old, "2016-05-01", "51040019800101001X", "四川省攀枝花市东区炳草岗大街1号"),
            with_keys(service, same_person, "2020-03-15", "51040019800101001X", "四川省攀枝花市西区清香坪2号"),
            with_keys(
                service, same_place, "2020-04-01", "510400199001010022", "四川省攀枝花市东区 炳草岗大街１号"
            ),  # full-width 1
            with_keys(service, unrelated, "2020-04-02", "510400199101010033", "四川省攀枝花市仁和区3号"),
        ],
    )

    async def flags() -> Any:
        r = await service.client.get("/v1/abuse-flags", headers=service.token("auditor"))
        mine = [x for x in r.json() if x["new_payer"] in (same_person, same_place, unrelated)]
        return mine if len(mine) >= 2 else None

    found = await service.wait_for(flags)
    assert sorted((x["new_payer"], x["existing_payer"], x["shared"]) for x in found) == sorted(
        [(same_person, old, "legal_representative"), (same_place, old, "address")]
    )
    assert "51040019800101001X" not in str(found)
