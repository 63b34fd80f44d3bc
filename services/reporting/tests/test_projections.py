"""The projections' handlers on both backends (SQLite for `make run`, PostgreSQL for production),
without Kafka: the story's events applied through each projection that reads their topic; the
ledger folds to the events' own sums, and the region-month sums in SQL equal the sums of the
per-payer lines (domain.linkage.groups, their definition)."""

from __future__ import annotations

import asyncio

from eventkit.db import make_engine, make_sessionmaker
from eventkit.migrations import upgrade
from reporting.application import aggregates, queries
from reporting.domain import linkage, payer_months
from reporting.service import SPEC

from .story import Story


async def project(database_url: str, story: Story) -> None:
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    try:
        for topic, envelopes in story.topics.items():
            for projection in (p for p in SPEC.definition.projections if topic in p.topics):
                for env in envelopes:
                    async with sessions() as session, session.begin():
                        await projection.handler(session, projection.registry.decode(env, topic=topic))
    finally:
        await engine.dispose()


async def test_sql_sums_equal_the_per_payer_lines_on_both_backends(database_url: str) -> None:
    await asyncio.to_thread(upgrade, database_url, SPEC.migrations_dir)
    story = Story().build()
    await project(database_url, story)
    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            got = await queries.facts(session, queries.Filter())
            lines = payer_months.lines(got.liabilities, got.accounts, got.payers, got.deferred)
            for f in (
                queries.Filter(),
                queries.Filter(region="320600"),
                queries.Filter(period_from="2020-03", period_to="2020-03"),
            ):
                sql = linkage.finished(await aggregates.region_months(session, f), {})
                mine = [x for x in lines if (f.region in (None, x["region"])) and (f.period_from or "") <= x["fee_period"]]
                assert sql == linkage.groups(mine, {}), f
            keys, more = await aggregates.line_keys(session, queries.Filter(), 0, 1000)
            assert keys == [(x["credit_code"], x["fee_period"], x["insurance"], x["project"]) for x in lines] and not more
            page, more = await aggregates.line_keys(session, queries.Filter(), 2, 3)
            assert page == keys[2:5] and more
            got = await queries.facts_of(session, page)
            assert payer_months.lines(got.liabilities, got.accounts, got.payers, got.deferred) == lines[2:5]
    finally:
        await engine.dispose()
    ledger = {(x["credit_code"], x["fee_period"], x["insurance"], x["project"]): x for x in lines}
    for key, sums in story.expected_accounts().items():
        assert {k: ledger[key][k] for k in sums} == sums, key
    assert {x["region"] for x in lines} == {"320600", "510400"}
    assert [x["project"] for x in lines if x["credit_code"] == story.d] == ["", "NT-2020-0301"]  # monthly first, then the project
