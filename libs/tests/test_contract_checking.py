"""Contract checking on append (eventkit.contracts, `EVENTKIT_VALIDATE_CONTRACTS`): an event that
does not conform to its committed schema is refused before anything is written, recorded for the
test session, and an event of a family without contracts (a kernel test's own) passes unchecked."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eventkit.contracts import event_schema
from eventkit.db import make_engine, make_sessionmaker
from eventkit.errors import ContractViolation
from eventkit.events import Event, EventRegistry
from eventkit.store import NO_STREAM, EventStore
from eventkit.testing import ledger
from eventkit.testing.ledger import Deposited, Withdrawn


class Stray(Event):
    name = "stray.Happened"


@pytest.fixture
def contracts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A contracts folder with ledger.Deposited v2 as the code writes it and a Withdrawn contract
    that wants the amount as a string; checking on, violations recorded to a file of this test."""
    folder = tmp_path / "contracts"
    (folder / "events").mkdir(parents=True)
    (folder / "events" / "ledger.Deposited.v2.json").write_text(json.dumps(event_schema(Deposited)))
    withdrawn = event_schema(Withdrawn)
    withdrawn["properties"]["amount_fen"]["type"] = "string"
    (folder / "events" / "ledger.Withdrawn.v1.json").write_text(json.dumps(withdrawn))
    monkeypatch.setenv("EVENTKIT_VALIDATE_CONTRACTS", str(folder))
    monkeypatch.setenv("EVENTKIT_CONTRACT_VIOLATIONS", str(tmp_path / "violations.jsonl"))
    return folder


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(ledger.metadata.create_all)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
def store() -> EventStore:
    registry = EventRegistry(Deposited, Withdrawn, Stray)
    return EventStore(service="test", source="/test", topic="ledger.events", tables=ledger.kernel, registry=registry)


async def _count(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as s:
        return int(await s.scalar(sa.select(sa.func.count()).select_from(ledger.kernel.events)) or 0)


async def test_a_conforming_event_is_appended(
    contracts: Path, sessions: async_sessionmaker[AsyncSession], store: EventStore
) -> None:
    async with sessions() as s, s.begin():
        await store.append(s, "acct-1", NO_STREAM, [Deposited(account="a", amount_fen=100)], subject="P1")
    assert await _count(sessions) == 1
    assert not (contracts.parent / "violations.jsonl").exists()


async def test_a_violation_is_refused_before_anything_is_written_and_recorded(
    contracts: Path, sessions: async_sessionmaker[AsyncSession], store: EventStore
) -> None:
    with pytest.raises(ContractViolation, match=r"relief\.ledger\.Withdrawn\.v1 .* amount_fen: 30 is not of type 'string'"):
        async with sessions() as s, s.begin():
            await store.append(
                s, "acct-1", NO_STREAM, [Deposited(account="a", amount_fen=100), Withdrawn(amount_fen=30)], subject="P1"
            )
    assert await _count(sessions) == 0
    (line,) = (contracts.parent / "violations.jsonl").read_text().splitlines()
    recorded = json.loads(line)
    assert recorded["type"] == "relief.ledger.Withdrawn.v1" and recorded["topic"] == "ledger.events"
    assert recorded["problems"] == ["amount_fen: 30 is not of type 'string'"]


async def test_a_missing_contract_of_a_known_family_is_a_violation(
    contracts: Path, sessions: async_sessionmaker[AsyncSession], store: EventStore
) -> None:
    (contracts / "events" / "ledger.Deposited.v2.json").rename(contracts / "events" / "ledger.Deposited.v1.json")
    with pytest.raises(ContractViolation, match="no contract ledger.Deposited.v2.json"):
        async with sessions() as s, s.begin():
            await store.append(s, "acct-1", NO_STREAM, [Deposited(account="a", amount_fen=1)], subject="P1")


async def test_an_event_on_a_topic_the_asyncapi_document_does_not_put_it_on_is_a_violation(
    contracts: Path, sessions: async_sessionmaker[AsyncSession], store: EventStore
) -> None:
    (contracts / "asyncapi.yaml").write_text(
        "channels:\n  ledger.events:\n    messages: {ledger.Deposited.v2: {}}\n"
        "components:\n  messages:\n    ledger.Deposited.v2: {x-cloudevents-type: relief.ledger.Deposited.v2}\n"
    )
    async with sessions() as s, s.begin():
        await store.append(s, "acct-1", NO_STREAM, [Deposited(account="a", amount_fen=1)], subject="P1")
    with pytest.raises(
        ContractViolation, match="appended to other.events, but contracts/asyncapi.yaml carries it on ledger.events"
    ):
        async with sessions() as s, s.begin():
            await store.append(s, "acct-1", 1, [Deposited(account="a", amount_fen=1)], subject="P1", topic="other.events")


async def test_a_family_without_contracts_and_checking_off_pass(
    contracts: Path, sessions: async_sessionmaker[AsyncSession], store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with sessions() as s, s.begin():
        await store.append(s, "stray-1", NO_STREAM, [Stray()], subject="P1")
    monkeypatch.setenv("EVENTKIT_VALIDATE_CONTRACTS", "0")
    async with sessions() as s, s.begin():
        await store.append(s, "acct-2", NO_STREAM, [Withdrawn(amount_fen=5)], subject="P2")
    assert await _count(sessions) == 2
