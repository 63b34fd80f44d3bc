"""Story c (issue 7): 人社部发〔2020〕49号, published at the end of June 2020, reaches back. A large
enterprise declared and paid May and June at the full rate (11号 halved large enterprises only to
April); once 49号 is published both months are reassessed to halved, and the difference is refunded
through the bank when an officer requests it (credits outside February default to offset, 33号).
An SME declaring July … December after the publication is exempt. The whole platform runs as
real processes (tests/e2e/platform.py), 49号 held back until the story publishes it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from refdata.codes import make_credit_code

from .platform import Platform, call, eventually, running_platform


@pytest.fixture(scope="module")
def platform(pg_server_url: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with running_platform(
        pg_server_url, kafka_bootstrap, tmp_path_factory.mktemp("story49"), held_back=("mohrss-2020-49.yaml",)
    ) as p:
        yield p


def test_c_49_published_in_june_halves_may_and_june_which_are_refunded_and_exempts_an_sme_to_december(platform: Platform) -> None:
    run = uuid.uuid4().int
    large = make_credit_code(f"91320600MA{run % 10**4:04d}LGC")
    sme = make_credit_code(f"91320600MA{(run // 10**4) % 10**4:04d}SMC".replace("S", "K"))
    for code in (large, sme):
        platform.register(code, "320600")
    platform.import_sizes((large, "large"), (sme, "small"))
    for period in ("2020-05", "2020-06"):
        platform.declare(large, period, "pension")
    for period in ("2020-05", "2020-06"):
        pension = platform.liability(large, period)["liability"]["lines"][0]
        assert (pension["relief"], pension["employer_payable_fen"]) == ("none", 800_000), period  # 11号: halved to April only
    eventually(lambda: platform.ledger(large).get("totals", {}).get("due_fen") == 2 * 1_200_000, "May and June due")
    for period in ("2020-05", "2020-06"):
        platform.pay(large, period, "pension", 1_200_000)
    eventually(lambda: platform.ledger(large).get("totals", {}).get("paid_fen") == 2_400_000, "May and June paid")

    published = platform.publish("mohrss-2020-49.yaml", "pub-49")
    assert published["appended"], published
    for period in ("2020-05", "2020-06"):
        li = platform.liability(large, period, version=2)
        assert [(x["relief"], x["employer_payable_fen"]) for x in li["liability"]["lines"]] == [("halved", 400_000)], period
        assert li["history"][-1]["reasons"] == ["policies"]

    # The refund service credits 400,000 fen per month, settled by offset by default (not February);
    # with nothing else due, an officer refunds them to the payer's account.
    ledger = eventually(lambda: (led := platform.ledger(large)) and led["totals"]["credit_fen"] == 800_000 and led, "credits")
    assert sorted((c["fee_period"], c["open_fen"], c["settlement"]) for c in ledger["credits"]) == [
        ("2020-05", 400_000, "offset"),
        ("2020-06", 400_000, "offset"),
    ]
    officer = platform.token("officer-1", "tax_officer")
    for c in ledger["credits"]:
        url = f"{platform.refund.url}/v1/payers/{large}/credits/{c['credit_id']}/settlement"
        assert call("POST", url, officer, {"settlement": "refund"})[0] == 200
    # each credit settled by refund is requested at once to the account the payer paid from
    requested = eventually(lambda: len(r := platform.refunds(large)) == 2 and r, "the refund requests")
    assert sorted((r["amount_fen"], r["status"]) for r in requested) == [(400_000, "requested")] * 2
    approver = platform.token("approver-1", "refund_approver")
    for r in requested:
        refund_url = f"{platform.refund.url}/v1/payers/{large}/refunds/{r['refund_id']}"
        assert call("POST", refund_url + "/approval", approver)[0] == 200
    eventually(lambda: [r["status"] for r in platform.refunds(large)] == ["settled"] * 2, "the refunds settled")
    final = platform.ledger(large)
    assert final["balanced"] is True and final["totals"]["refunded_fen"] == 800_000 and final["totals"]["balance_fen"] == 0

    # An SME declaring July … December after the publication: exempt every month.
    for period in ("2020-07", "2020-09", "2020-12"):
        platform.declare(sme, period, "pension")
    for period in ("2020-07", "2020-09", "2020-12"):
        pension = platform.liability(sme, period)["liability"]["lines"][0]
        assert (pension["relief"], pension["employer_payable_fen"]) == ("exempt", 0), period
