"""End-to-end benchmark (`make bench`): the whole platform as real processes, driven over REST.

    .venv/bin/python bench/platform_bench.py [--payers N] [--periods K] [--seed S] [--concurrency C]
        [--bootstrap HOST:PORT] [--pg-url URL] [--no-subscriptions] [--logs DIR]

Generates payers shaped like a province's register (sizes, regions, bases, headcounts, insurances),
registers them with the declaration service, loads their enterprise sizes through the
classification service's CSV import, then declares every payer's fee periods 2020-02 … concurrently
and follows each declaration through the chain (relief-calc assesses, refund records the due on
the payer's ledger) by reading the topics. After the load: every service's projections rebuilt
from the log (services stopped), and bare aiokafka producing and consuming the same number of
records of the same sizes on the same broker. Prints ONE JSON object on stdout (progress on
stderr); bench/README.md says what each figure means. Exits 1 without JSON when the chain loses a
declaration (no ledger entry) or a request is refused.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import random
import resource
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import asyncpg
import httpx
import psutil
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kernel_bench import (
    BenchFailure,
    Infra,
    _busy_cpu_s,
    _tree_cpu,
    _tree_rss,
    check,
    cpu_calibration_ms,
    infrastructure,
    log,
    partitions_ready,
)

from devstack.platform import BANK_SIMULATOR, SERVICES, ServiceProc
from devstack.ports import free_port
from eventkit.kafka import TopicSpec
from eventkit.runtime import ServiceDefinition
from eventkit.web.tokens import issue_token
from refdata.codes import make_credit_code
from refdata.periods import FeePeriod
from refdata.regions import RegionCatalog

READY_TIMEOUT_S = 120.0
FIRST_PERIOD = "2020-02"
BANK_SECRET = "bench-bank-secret"
RAW_POOL = 5000  # distinct records of the run replayed by the raw baseline (round-robin)

# ----------------------------------------------------------------------------- the province
# 统筹区 and their share of payers: four 江苏 cities and 武汉 (湖北: exempt February–June for all sizes).
REGIONS = (("320500", 0.30), ("320600", 0.18), ("320400", 0.15), ("320583", 0.15), ("420100", 0.22))
# Enterprise sizes of a province's register of insured enterprises: micro dominate.
SIZES = (("micro", 0.64), ("small", 0.26), ("medium", 0.07), ("large", 0.03))
# Unit types of insured units (参保单位): enterprises, 个体工商户 insured as units, social
# organisations (relieved like large enterprises), public institutions (never relieved).
UNIT_TYPES = (("enterprise", 0.88), ("individual_business", 0.06), ("social_organization", 0.03), ("public_institution", 0.03))
CODE_PREFIX = {"enterprise": "91", "individual_business": "92", "social_organization": "51", "public_institution": "12"}
# (GB/T 4754-2017 section, divisions, work-injury risk classes, share of enterprises)
INDUSTRIES = (
    ("C", ("13", "17", "26", "33", "34", "38", "39"), (2, 3, 4), 0.42),
    ("E", ("47", "48", "50"), (5, 6), 0.09),
    ("F", ("51", "52"), (1, 2), 0.21),
    ("I", ("64", "65"), (1,), 0.08),
    ("L", ("71", "72"), (1, 2), 0.11),
    ("M", ("73", "74", "75"), (1,), 0.09),
)
# Headcount band per size (the 2017 standard's 工业 thresholds; log-uniform inside the band).
HEADCOUNT = {"micro": (3, 19), "small": (20, 299), "medium": (300, 999), "large": (1000, 6000)}
# 营业收入 (万元) consistent with the size for 工业 rows (the only rows the file gives indicators for).
REVENUE = {"micro": (50, 299), "small": (300, 1999), "medium": (2000, 39999), "large": (40000, 300000)}
# share of payers declaring each insurance besides pension (always)
INSURANCE_SHARE = {"unemployment": 0.95, "work_injury": 0.97, "medical": 0.88, "maternity": 0.72}
NAME_WORDS = ("恒通", "华鑫", "苏达", "江海", "中天", "永盛", "金陵", "东方", "瑞丰", "长江", "宏远", "新港")
NAME_KIND = {"C": "机械制造", "E": "建设工程", "F": "商贸", "I": "信息技术", "L": "企业管理咨询", "M": "检测技术"}


def pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]


def log_uniform(rng: random.Random, low: int, high: int) -> int:
    return round(math.exp(rng.uniform(math.log(low), math.log(high + 0.999))))


@dataclass
class Payer:
    code: str
    name: str
    unit_type: str
    region: str
    section: str
    division: str
    risk_class: int
    size: str | None  # enterprises only
    headcount: int
    base_per_head_fen: int  # constant over the year (the base is set yearly: no audit hold)
    insurances: tuple[str, ...]
    revenue_wan: int | None
    bank_account: str


def make_payers(n: int, seed: int, catalog: RegionCatalog) -> list[Payer]:
    rng = random.Random(seed)
    payers: list[Payer] = []
    for _ in range(n):
        unit_type = pick(rng, UNIT_TYPES)
        region = pick(rng, REGIONS)
        if unit_type == "enterprise":
            section, divisions, classes, _ = rng.choices(INDUSTRIES, weights=[x[3] for x in INDUSTRIES])[0]
            size: str | None = pick(rng, SIZES)
            headcount = log_uniform(rng, *HEADCOUNT[size])
        elif unit_type == "individual_business":
            section, divisions, classes, size = "F", ("52",), (1,), None
            headcount = rng.randint(1, 8)
        elif unit_type == "social_organization":
            section, divisions, classes, size = "S", ("95",), (1,), None
            headcount = log_uniform(rng, 3, 60)
        else:
            section, divisions, classes, size = "P", ("83",), (1,), None
            headcount = log_uniform(rng, 20, 400)
        band = catalog.parameters(region, FIRST_PERIOD)
        city = catalog.region(region).name.removesuffix("市")
        floor, ceiling = band.base_floor_fen, band.base_ceiling_fen
        # Many small payers declare at the floor; the rest around the average wage (lognormal), larger
        # units higher; always inside the band.
        at_floor = {"micro": 0.55, "small": 0.35, "medium": 0.15, "large": 0.05, None: 0.2}[size]
        if rng.random() < at_floor:
            per_head = floor
        else:
            scale = {"micro": 1.0, "small": 1.1, "medium": 1.3, "large": 1.6, None: 1.4}[size]
            per_head = int(floor / 0.6 * scale * rng.lognormvariate(0, 0.35))
        per_head = max(floor, min(ceiling, per_head // 100 * 100))
        insurances = ["pension"] + [k for k, share in INSURANCE_SHARE.items() if rng.random() < share]
        if "medical" not in insurances and "maternity" in insurances:
            insurances.remove("maternity")
        org = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(7))
        code = make_credit_code(f"{CODE_PREFIX[unit_type]}{region}MA{org}")
        kind = {"individual_business": "个体商行", "social_organization": "行业协会", "public_institution": "事业中心"}.get(
            unit_type
        ) or (NAME_KIND[section] + "有限公司")
        payers.append(
            Payer(
                code=code,
                name=f"{city}{rng.choice(NAME_WORDS)}{kind}",
                unit_type=unit_type,
                region=region,
                section=section,
                division=rng.choice(divisions),
                risk_class=rng.choice(classes),
                size=size,
                headcount=headcount,
                base_per_head_fen=per_head,
                insurances=tuple(insurances),
                revenue_wan=rng.randint(*REVENUE[size]) if size and section == "C" else None,
                bank_account="6222" + "".join(rng.choice("0123456789") for _ in range(15)),
            )
        )
    return payers


def headcount_in(p: Payer, period_index: int, seed: int) -> int:
    """The month's headcount: small drift around the payer's size (hiring, leaving)."""
    rng = random.Random(f"{seed}:{p.code}:{period_index}")
    drift = 1 + rng.uniform(-0.03, 0.03)
    return max(1, round(p.headcount * drift))


def declaration_body(p: Payer, period: str, period_index: int, seed: int) -> dict[str, Any]:
    n = headcount_in(p, period_index, seed)
    lines = [{"insurance": i, "headcount": n, "base_fen": n * p.base_per_head_fen} for i in p.insurances]
    return {"fee_period": period, "lines": lines}


def registration_body(p: Payer) -> dict[str, Any]:
    return {
        "credit_code": p.code,
        "name": p.name,
        "unit_type": p.unit_type,
        "region": p.region,
        "industry": {"section": p.section, "division": p.division},
        "work_injury": {"risk_class": p.risk_class},
        "enrollments": [{"insurance": i, "since": "2016-01-01"} for i in p.insurances],
        "bank_account": {"bank_name": "中国工商银行", "account_number": p.bank_account},
    }


def size_files(payers: list[Payer]) -> dict[str, str]:
    """The provinces' classification files (statistical year 2019, governing 2020's fee periods):
    one CSV per province, enterprises only, with indicators for 工业 rows."""
    out: dict[str, list[str]] = defaultdict(list)
    for p in payers:
        if p.size is None:
            continue
        province = p.region[:2]
        version = {"32": "苏统2020-01", "42": "鄂统2020-01"}[province]
        headcount = str(p.headcount) if p.revenue_wan is not None else ""
        revenue = str(p.revenue_wan) if p.revenue_wan is not None else ""
        out[province].append(f"{p.code},{p.name},{p.section}{p.division},{p.size},2019,{version},{headcount},{revenue}")
    header = "credit_code,name,industry,size,statistical_year,source_version,headcount,revenue\n"
    return {prov: header + "\n".join(rows) + "\n" for prov, rows in out.items()}


# ----------------------------------------------------------------------------- the platform as processes
def service_definitions() -> dict[str, ServiceDefinition]:
    from classification.service import DEFINITION as CLS
    from declaration.service import DEFINITION as DECL
    from refund.service import DEFINITION as REFUND
    from relief_calc.service import DEFINITION as RC
    from reporting.service import DEFINITION as REPORTING
    from subscriptions.service import DEFINITION as SUBS

    return {
        "declaration": DECL, "relief-calc": RC, "refund": REFUND, "classification": CLS, "subscriptions": SUBS,
        "reporting": REPORTING,
    }  # fmt: skip


@dataclass
class Proc:
    service: ServiceProc
    port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    handle: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class PlatformRun:
    env: dict[str, str]
    procs: dict[str, Proc]
    db_urls: dict[str, str]  # service → plain postgresql:// URL
    private_key: str
    logs: Path
    services: list[str]
    definitions: dict[str, ServiceDefinition]
    topics: list[TopicSpec] = field(default_factory=list)

    def url(self, name: str) -> str:
        return self.procs[name].url


def venv_bin() -> Path:
    return Path(sys.executable).parent


def _in_parallel(names: list[str], env: dict[str, str], logs: Path, *args: str) -> None:
    """`<service> ARGS` for every service at once (each a process), all waited for."""
    procs = []
    for name in names:
        with open(logs / f"{name}.cli.log", "ab") as out:
            procs.append((name, subprocess.Popen([str(venv_bin() / name), *args], env=env, stdout=out, stderr=out)))
    for name, p in procs:
        if p.wait() != 0:
            raise RuntimeError(f"{name} {' '.join(args)} failed (exit {p.returncode}):\n{_tail(logs / f'{name}.cli.log')}")


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


async def prepare_platform(args: argparse.Namespace, infra: Infra, logs: Path) -> PlatformRun:
    """Databases, keys, environment, topics and migrations (services in parallel)."""
    from devstack.run import service_env

    services = [s.name for s in SERVICES if not (args.no_subscriptions and s.name == "subscriptions")]
    db_urls: dict[str, str] = {}
    for name in services:
        url = await infra.new_database("bench_" + name.replace("-", "_"))
        db_urls[name] = url
    bank_port = free_port()
    env = service_env(infra.workdir / "var", infra.bootstrap, venv_bin(), bank_port)
    env["REFUND_BANK_CALLBACK_SECRET"] = BANK_SECRET
    for svc in SERVICES:
        if svc.name in db_urls:
            env[f"{svc.env_prefix}DATABASE_URL"] = db_urls[svc.name]
            env[f"{svc.env_prefix}TOPIC_PARTITIONS"] = str(args.partitions)
    private_key = (infra.workdir / "var" / "keys" / "jwt-private.pem").read_text()
    procs = {name: Proc(next(s for s in SERVICES if s.name == name), free_port(), logs / f"{name}.log") for name in services}
    procs["banksim"] = Proc(BANK_SIMULATOR, bank_port, logs / "banksim.log")
    log("creating topics and migrating the databases")
    _in_parallel(services, env, logs, "topics")
    _in_parallel(services, env, logs, "migrate")
    definitions = {k: v for k, v in service_definitions().items() if k in services}
    specs: dict[str, TopicSpec] = {}
    for d in definitions.values():
        for s in d.topic_specs(args.partitions, 1):
            specs.setdefault(s.name, s)
    run = PlatformRun(
        env=env,
        procs=procs,
        db_urls={k: _plain(v) for k, v in db_urls.items()},
        private_key=private_key,
        logs=logs,
        services=services,
        definitions=definitions,
        topics=list(specs.values()),
    )
    if args.bootstrap:  # a shared broker holds other runs' events: every group starts at the end
        from eventkit.testing.offsets import start_groups_at_end

        for name, d in definitions.items():
            await start_groups_at_end(db_urls[name], infra.bootstrap, d.kernel, d.subscriptions(), run.topics)
    return run


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def start_platform(run: PlatformRun) -> None:
    refund_url = run.procs["refund"].url
    bank_env = {
        **run.env,
        "BANKSIM_LEDGER": str(run.logs / "banksim.sqlite"),
        "BANKSIM_SECRET": BANK_SECRET,
        "BANKSIM_CALLBACK_URL": f"{refund_url}/v1/bank/status-reports",
        "BANKSIM_NOTIFY_URL": f"{refund_url}/v1/bank/notifications",
    }
    for name, p in run.procs.items():
        p.handle = open(p.log, "ab")  # closed in stop_platform
        p.proc = subprocess.Popen(
            p.service.command(venv_bin(), "serve", "--host", "127.0.0.1", "--port", str(p.port)),
            env=bank_env if name == "banksim" else run.env,
            stdout=p.handle,
            stderr=p.handle,
            start_new_session=True,
        )
    deadline = time.monotonic() + READY_TIMEOUT_S
    pending = dict(run.procs)
    while pending:
        for name, p in list(pending.items()):
            assert p.proc is not None
            if p.proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {p.proc.returncode}:\n{_tail(p.log)}")
            with contextlib.suppress(Exception), httpx.Client(timeout=2) as c:
                if c.get(p.url + "/readyz").status_code == 200:
                    del pending[name]
        if time.monotonic() > deadline:
            raise RuntimeError(f"not ready after {READY_TIMEOUT_S:.0f}s: {', '.join(pending)}")
        time.sleep(0.3)


def stop_platform(run: PlatformRun) -> None:
    procs = [p for p in run.procs.values() if p.proc is not None]
    for p in procs:
        if p.proc is not None and p.proc.poll() is None:
            p.proc.send_signal(signal.SIGTERM)
    for p in procs:
        assert p.proc is not None
        try:
            p.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.proc.kill()
            p.proc.wait()
        if p.handle is not None:
            p.handle.close()
            p.handle = None


# ----------------------------------------------------------------------------- memory sampling
class MemorySampler:
    """Peak RSS of each process (a service and its children), sampled every `every_s` in a thread."""

    def __init__(self, every_s: float = 0.5) -> None:
        self.every_s = every_s
        self.pids: dict[str, int] = {}
        self.peak: dict[str, int] = defaultdict(int)
        self.cpu: dict[str, float] = {}  # CPU seconds of each process tree at its last sample
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def watch(self, name: str, pid: int | None) -> None:
        if pid:
            self.pids[name] = pid

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sample()
        return {k: round(v / 2**20, 1) for k, v in sorted(self.peak.items())}

    def sample(self) -> None:
        for name, pid in list(self.pids.items()):
            rss = _tree_pss(pid) if name == "postgres" else _tree_rss(pid)
            if rss > self.peak[name]:
                self.peak[name] = rss
            cpu = _tree_cpu_total(pid)
            if cpu > self.cpu.get(name, 0.0):  # a tree loses the CPU of children that exit unreaped
                self.cpu[name] = cpu
        self.peak["bench"] = max(self.peak["bench"], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
        self.cpu["bench"] = time.process_time()

    def cpu_now(self) -> dict[str, float]:
        """CPU seconds of every watched process tree right now, and of the whole machine (busy)."""
        out = {name: _tree_cpu_total(pid) for name, pid in self.pids.items()}
        out["bench"] = time.process_time()
        out["machine_busy"] = _busy_cpu_s()
        return out

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            self.sample()


def _tree_cpu_total(pid: int) -> float:
    """CPU seconds of a process tree, including children it has reaped (PostgreSQL's backends)."""
    try:
        t = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return 0.0
    return _tree_cpu(pid) + t.children_user + t.children_system


def _tree_pss(pid: int) -> int:
    """Proportional set size of a process tree: PostgreSQL's backends share its buffers, whose pages
    a plain RSS sum would count once per backend."""
    try:
        root = psutil.Process(pid)
        total = 0
        for p in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                info = p.memory_full_info()
                total += getattr(info, "pss", info.rss)
        return total
    except psutil.Error:
        return 0


# ----------------------------------------------------------------------------- following events on the topics
def _parse_time(raw: bytes | None) -> float | None:
    if not raw:
        return None
    return datetime.fromisoformat(raw.decode().replace("Z", "+00:00")).timestamp()


@dataclass
class Seen:
    ce_time: float  # the event's recorded time (envelope ce_time), epoch seconds
    seen_at: float  # when the bench's consumer received it


class EventTap:
    """Reads every platform topic (all partitions, no group) while the load runs: counts events by
    type, keeps each DueRecorded by (credit code, fee period), and a pool of records for the raw
    baseline (their keys, values and headers as they were on the wire)."""

    def __init__(self, bootstrap: str, topics: list[str], starts: dict[TopicPartition, int]) -> None:
        self.bootstrap = bootstrap
        self.topics = topics
        self.starts = starts
        self.by_type: Counter[str] = Counter()
        self.times: dict[str, list[float]] = defaultdict(list)  # ce_time of every event, by short type
        self.dues: dict[tuple[str, str], Seen] = {}
        self.liabilities: dict[tuple[str, str], Seen] = {}
        self.records = 0
        self.value_bytes = 0
        self.pool: list[tuple[bytes | None, bytes, list[tuple[str, bytes]]]] = []
        self.changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False)
        await self._consumer.start()
        parts = list(self.starts)
        self._consumer.assign(parts)
        for tp, offset in self.starts.items():
            self._consumer.seek(tp, offset)
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()

    async def _run(self) -> None:
        assert self._consumer is not None
        rng = random.Random(1)
        while True:
            batch = await self._consumer.getmany(timeout_ms=200, max_records=2000)
            now = time.time()
            for records in batch.values():
                for r in records:
                    self.records += 1
                    self.value_bytes += len(r.value or b"")
                    headers = dict(r.headers or ())
                    ce_type = (headers.get("ce_type") or b"?").decode()
                    short = ce_type.removeprefix("relief.").rsplit(".v", 1)[0]
                    self.by_type[short] += 1
                    t = _parse_time(headers.get("ce_time"))
                    if t is not None:
                        self.times[short].append(t)
                    if short in ("refund.DueRecorded", "relief.LiabilityAssessed"):
                        data = json.loads(r.value)
                        data = data.get("liability", data)  # LiabilityAssessed nests its figures
                        key = (data.get("credit_code") or (headers.get("ce_subject") or b"").decode(), data.get("fee_period"))
                        target = self.dues if short == "refund.DueRecorded" else self.liabilities
                        if key not in target and t is not None:
                            target[key] = Seen(t, now)
                    # reservoir sample of the records, for the raw baseline
                    item = (r.key, r.value or b"", list(r.headers or ()))
                    if len(self.pool) < RAW_POOL:
                        self.pool.append(item)
                    else:
                        j = rng.randrange(self.records)
                        if j < RAW_POOL:
                            self.pool[j] = item
            if batch:
                self.changed.set()


async def topic_ends(bootstrap: str, topics: list[TopicSpec]) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        parts = [TopicPartition(s.name, p) for s in topics for p in range(s.partitions)]
        return dict(await consumer.end_offsets(parts))
    finally:
        await consumer.stop()


async def consumer_lag(run: PlatformRun, bootstrap: str) -> int:
    """Records not yet processed, summed over every consumer group of every running service
    (the groups' offsets as each service stores them in its own database)."""
    ends = await topic_ends(bootstrap, run.topics)
    by_topic: dict[str, dict[int, int]] = defaultdict(dict)
    for tp, off in ends.items():
        by_topic[tp.topic][tp.partition] = off
    lag = 0
    for name, d in run.definitions.items():
        table = d.kernel.consumer_offsets.name
        conn = await asyncpg.connect(run.db_urls[name])
        try:
            rows = await conn.fetch(f"SELECT consumer_group, topic, partition, next_offset FROM {table}")
        finally:
            await conn.close()
        stored = {(r["consumer_group"], r["topic"], r["partition"]): r["next_offset"] for r in rows}
        for group in d.subscriptions():
            for topic in group.topics:
                for partition, end in by_topic.get(topic, {}).items():
                    lag += max(0, end - stored.get((group.group, topic, partition), 0))
    return lag


async def wait_quiet(run: PlatformRun, bootstrap: str, timeout_s: float, what: str) -> float:
    """Until every consumer group of every service is at the end of its topics twice in a row."""
    t0 = time.monotonic()
    zeros = 0
    while zeros < 2:
        lag = await consumer_lag(run, bootstrap)
        zeros = zeros + 1 if lag == 0 else 0
        if time.monotonic() - t0 > timeout_s:
            raise BenchFailure(f"{what}: consumers still {lag} records behind after {timeout_s:.0f}s")
        await asyncio.sleep(0.5)
    return time.monotonic() - t0


# ----------------------------------------------------------------------------- the load
def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    k = min(len(s) - 1, max(0, math.ceil(q / 100 * len(s)) - 1))
    return round(s[k], 1)


def summary_ms(values: list[float]) -> dict[str, float | None]:
    return {
        "p50": pct(values, 50),
        "p95": pct(values, 95),
        "p99": pct(values, 99),
        "max": round(max(values), 1) if values else None,
        "mean": round(statistics.fmean(values), 1) if values else None,
        "n": len(values),
    }


async def bounded(concurrency: int, jobs: list[Any]) -> list[Any]:
    sem = asyncio.Semaphore(concurrency)

    async def one(job: Any) -> Any:
        async with sem:
            return await job

    return await asyncio.gather(*(one(j) for j in jobs))


async def post_json(client: httpx.AsyncClient, url: str, token: str, body: Any) -> tuple[int, Any, float, float]:
    """POST; returns status, body, the wall-clock time it returned and its duration in ms."""
    t0 = time.perf_counter()
    r = await client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
    done = time.time()
    return r.status_code, (r.json() if r.content else None), done, (time.perf_counter() - t0) * 1000


@dataclass
class LoadResult:
    registered_s: float
    import_s: float
    settle_s: float
    accepted: dict[tuple[str, str], float] = field(default_factory=dict)  # (code, period) → POST returned
    post_ms: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    declare_t0: float = 0.0  # wall clock, first POST sent
    declare_t1: float = 0.0  # last POST returned
    chain_s: float = 0.0  # first POST sent → last ledger entry seen by the bench
    quiet_s: float = 0.0
    cpu_load: dict[str, float] = field(default_factory=dict)  # CPU seconds per process, first POST → last ledger entry
    foreign_cpu_cores: float = 0.0  # cores' worth used meanwhile by processes not of this run


async def drive(
    args: argparse.Namespace, run: PlatformRun, infra: Infra, payers: list[Payer], sampler: MemorySampler
) -> tuple[LoadResult, EventTap]:
    periods = [str(FeePeriod.parse(FIRST_PERIOD).shift(i)) for i in range(args.periods)]
    admin = issue_token(run.private_key, "bench-tax-bureau", ["admin"], ttl_s=7200)
    officer = issue_token(run.private_key, "bench-province", ["province_officer"], ttl_s=7200)
    tokens = {p.code: issue_token(run.private_key, f"payer-{p.code}", ["payer"], payer=p.code, ttl_s=7200) for p in payers}
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        # 1. the register (参保登记)
        log(f"registering {len(payers)} payers")
        t0 = time.perf_counter()
        out = await bounded(
            args.concurrency,
            [post_json(client, run.url("declaration") + "/v1/payers", admin, registration_body(p)) for p in payers],
        )
        refused = [(p.code, o[1]) for p, o in zip(payers, out, strict=True) if o[0] != 201]
        check(not refused, f"{len(refused)} registrations refused, e.g. {refused[:2]}")
        registered_s = time.perf_counter() - t0
        # 2. the provinces' size files, through the classification service's CSV import
        t0 = time.perf_counter()
        for province, csv in size_files(payers).items():
            r = await client.post(
                run.url("classification") + f"/v1/size-imports?file_name=bench-sizes-{province}.csv",
                content=csv.encode(),
                headers={"Authorization": f"Bearer {officer}", "Content-Type": "text/csv"},
            )
            check(r.status_code == 201, f"size import for {province} answered {r.status_code}: {r.text[:500]}")
            summary = r.json().get("summary", {})
            log(f"  size file {province}: {summary}")
        import_s = time.perf_counter() - t0
        # 3. the chain at rest before the load: payers, sizes and policies everywhere
        settle_s = await wait_quiet(run, infra.bootstrap, 180, "before the load")
        result = LoadResult(registered_s, import_s, settle_s)
        tap = EventTap(infra.bootstrap, [s.name for s in run.topics], await topic_ends(infra.bootstrap, run.topics))
        await tap.start()
        # 4. the monthly declarations: each period, every payer, concurrently
        log(f"declaring {len(payers)} payers × {len(periods)} periods ({args.concurrency} concurrent requests)")
        t_start = time.perf_counter()
        result.declare_t0 = time.time()
        cpu0 = sampler.cpu_now()
        for k, period in enumerate(periods):

            async def declare(p: Payer, period: str = period, k: int = k) -> tuple[Payer, str, tuple[int, Any, float, float]]:
                url = f"{run.url('declaration')}/v1/payers/{p.code}/declarations"
                return p, period, await post_json(client, url, tokens[p.code], declaration_body(p, period, k, args.seed))

            for p, per, (status, body, done, ms) in await bounded(args.concurrency, [declare(p) for p in payers]):
                result.statuses[str(status)] += 1
                result.post_ms.append(ms)
                if status == 201:
                    result.accepted[(p.code, per)] = done
                    if body.get("status") != "submitted":
                        result.statuses["not_submitted:" + str(body.get("status"))] += 1
                elif result.statuses[str(status)] <= 3:
                    log(f"  {p.code} {per}: {status} {json.dumps(body, ensure_ascii=False)[:300]}")
            log(f"  {period}: {len(result.accepted)} accepted so far, ledger entries seen {len(tap.dues)}")
        result.declare_t1 = time.time()
        check(result.statuses.get("201", 0) == len(payers) * len(periods), f"declarations refused: {dict(result.statuses)}")
        # 5. until every accepted declaration has its ledger entry
        deadline = time.monotonic() + args.chain_timeout
        want = set(result.accepted)
        last_report = time.monotonic()
        while not want <= tap.dues.keys():
            if time.monotonic() > deadline:
                missing = sorted(want - tap.dues.keys())
                raise BenchFailure(f"{len(missing)} declarations without a ledger entry after the load, e.g. {missing[:3]}")
            if time.monotonic() - last_report > 10:
                log(f"  waiting for the chain: {len(want & tap.dues.keys())}/{len(want)} ledger entries")
                last_report = time.monotonic()
            tap.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(tap.changed.wait(), 1)
        result.chain_s = time.perf_counter() - t_start
        cpu1 = sampler.cpu_now()
        result.cpu_load = {k: round(cpu1[k] - cpu0.get(k, 0.0), 1) for k in cpu1 if k != "machine_busy"}
        ours = sum(result.cpu_load.values())
        result.foreign_cpu_cores = round(max(0.0, cpu1["machine_busy"] - cpu0["machine_busy"] - ours) / result.chain_s, 2)
        log(f"  every declaration on the ledger after {result.chain_s:.1f}s; waiting for the consumers to go quiet")
        result.quiet_s = await wait_quiet(run, infra.bootstrap, 180, "after the load")
        await asyncio.sleep(1.0)  # the tap's last records
    await tap.stop()
    return result, tap


# ----------------------------------------------------------------------------- rebuild, raw baseline
def rebuild_all(run: PlatformRun) -> dict[str, Any]:
    """`<service> rebuild --no-progress` for each service (all stopped), its JSON summarised."""
    out: dict[str, Any] = {}
    for name in run.services:
        t0 = time.perf_counter()
        done = subprocess.run(
            [str(venv_bin() / name), "rebuild", "--no-progress"], env=run.env, capture_output=True, text=True, timeout=900
        )
        wall = time.perf_counter() - t0
        if done.returncode != 0:
            raise RuntimeError(f"{name} rebuild failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
        projections = json.loads(done.stdout)["projections"]
        events = sum(p["events"] for p in projections)
        seconds = sum(p["seconds"] for p in projections)
        out[name] = {
            "events": events,
            "seconds": round(seconds, 3),
            "events_per_s": round(events / seconds, 1) if seconds > 0 else None,
            "command_wall_s": round(wall, 1),
            "projections": {p["name"]: {"events": p["events"], "events_per_s": p["events_per_s"]} for p in projections},
        }
        log(f"  {name}: {events:,} events replayed into {len(projections)} projections, {out[name]['events_per_s']} events/s")
    return out


async def raw_baseline(infra: Infra, tap: EventTap, n: int, partitions: int) -> dict[str, Any]:
    """Bare aiokafka on the same broker: n records drawn round-robin from the run's own records
    (same keys, values and CloudEvents headers) produced with the kernel producer's settings to a
    fresh topic, then read back by a consumer with every partition assigned."""
    topic = f"bench.raw.{infra.run_id}"
    specs = [TopicSpec(topic, partitions)]
    await partitions_ready(infra.bootstrap, specs)
    infra.created_topics.append(topic)
    pool = tap.pool
    producer = AIOKafkaProducer(
        bootstrap_servers=infra.bootstrap,
        client_id="bench-raw",
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=512 * 1024,
        request_timeout_ms=30000,
    )
    await producer.start()
    try:
        t0 = time.perf_counter()
        for start in range(0, n, 1000):
            futures = []
            for i in range(start, min(n, start + 1000)):
                key, value, headers = pool[i % len(pool)]
                futures.append(await producer.send(topic, value=value, key=key, headers=headers))
            await asyncio.gather(*futures)
        produce_s = time.perf_counter() - t0
    finally:
        await producer.stop()
    t0 = time.perf_counter()
    consumer = AIOKafkaConsumer(bootstrap_servers=infra.bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    count = 0
    try:
        parts = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        deadline = time.monotonic() + max(120.0, n / 500)
        while count < n and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=1000, max_records=1000)
            count += sum(len(r) for r in batch.values())
        consume_s = time.perf_counter() - t0
    finally:
        await consumer.stop()
    check(count == n, f"raw consumer read {count} records, expected {n}")
    return {
        "records": n,
        "mean_value_bytes": round(sum(len(v) for _, v, _ in pool) / len(pool), 1),
        "produce_msgs_per_s": round(n / produce_s, 1),
        "consume_msgs_per_s": round(n / consume_s, 1),
        "seconds": {"produce": round(produce_s, 3), "consume": round(consume_s, 3)},
    }


# ----------------------------------------------------------------------------- the run
def machine() -> dict[str, Any]:
    model = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model or platform.processor() or platform.machine(),
        "mem_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
    }


def rate(count: int, seconds: float) -> float | None:
    return round(count / seconds, 1) if seconds > 0 else None


async def run_bench(args: argparse.Namespace, infra: Infra, logs: Path) -> dict[str, Any]:
    payers = make_payers(args.payers, args.seed, RegionCatalog.default())
    sampler = MemorySampler()
    if infra.kafka is not None:
        sampler.watch("kafka", infra.kafka.pid)
    if infra.pg is not None:
        sampler.watch("postgres", infra.pg.postmaster_pid())
    sampler.start()
    run = await prepare_platform(args, infra, logs)
    log("starting the services and the bank simulator")
    t0 = time.perf_counter()
    try:
        start_platform(run)
        started_s = time.perf_counter() - t0
        for name, p in run.procs.items():
            sampler.watch(name, p.proc.pid if p.proc else None)
        log(f"platform ready in {started_s:.1f}s")
        load, tap = await drive(args, run, infra, payers, sampler)
    finally:
        log("stopping the services")
        stop_platform(run)
    peak_rss = sampler.stop()
    cpu_s = {k: round(v, 1) for k, v in sorted(sampler.cpu.items())}

    log("rebuilding every service's projections from the log")
    rebuilt = rebuild_all(run)

    declarations = len(load.accepted)
    chain_records = tap.records
    for kind in ("relief.LiabilityAssessed", "refund.DueRecorded"):
        # one liability and one ledger entry per declaration: none lost (checked in drive), none twice
        check(tap.by_type.get(kind, 0) == declarations, f"{tap.by_type.get(kind, 0)} {kind} for {declarations} declarations")
    log(f"raw aiokafka: {chain_records:,} records (the platform's records of the load)")
    raw = await raw_baseline(infra, tap, chain_records, args.partitions)

    # Figures of the load window: from the first declaration sent to the last event of each kind.
    t_start = load.declare_t0
    last_liab = max(tap.times.get("relief.LiabilityAssessed", ()), default=t_start)
    last_due = max(tap.times.get("refund.DueRecorded", ()), default=t_start)
    liabilities = tap.by_type.get("relief.LiabilityAssessed", 0)
    dues = tap.by_type.get("refund.DueRecorded", 0)
    all_times = [t for ts in tap.times.values() for t in ts]
    events_window = (max(all_times) - t_start) if all_times else 0.0
    lat = [(tap.dues[k].ce_time - done) * 1000 for k, done in load.accepted.items() if k in tap.dues]
    lat_seen = [(tap.dues[k].seen_at - done) * 1000 for k, done in load.accepted.items() if k in tap.dues]
    lat_liab = [(tap.liabilities[k].ce_time - done) * 1000 for k, done in load.accepted.items() if k in tap.liabilities]
    platform_events_per_s = rate(chain_records, events_window)
    sizes = Counter(p.size or p.unit_type for p in payers)
    return {
        "workload": {
            "payers": len(payers),
            "periods": args.periods,
            "fee_periods": f"{FIRST_PERIOD}..{FeePeriod.parse(FIRST_PERIOD).shift(args.periods - 1)}",
            "declarations": declarations,
            "concurrency": args.concurrency,
            "seed": args.seed,
            "partitions": args.partitions,
            "payers_by_size_or_type": dict(sorted(sizes.items())),
            "payers_by_region": dict(sorted(Counter(p.region for p in payers).items())),
            "declaration_lines": sum(len(p.insurances) for p in payers) * args.periods,
            "services": [*run.services, "banksim"],
        },
        "throughput": {
            "declarations_accepted_per_s": rate(declarations, load.declare_t1 - load.declare_t0),
            "liabilities_assessed_per_s": rate(liabilities, last_liab - t_start),
            "ledger_entries_per_s": rate(dues, last_due - t_start),
            "platform_events_per_s": platform_events_per_s,
            "payers_registered_per_s": rate(len(payers), load.registered_s),
        },
        "latency_ms": {
            "declaration_to_ledger_entry": summary_ms(lat),
            "declaration_to_ledger_entry_on_topic": summary_ms(lat_seen),
            "declaration_to_liability": summary_ms(lat_liab),
            "declaration_post": summary_ms(load.post_ms),
        },
        "events": {
            "total": chain_records,
            "mean_value_bytes": round(tap.value_bytes / chain_records, 1) if chain_records else None,
            "by_type": dict(sorted(tap.by_type.items())),
            "per_declaration": round(chain_records / declarations, 2) if declarations else None,
        },
        "raw_aiokafka": raw,
        "ratios": {
            "platform_events_vs_raw_produce": round(platform_events_per_s / raw["produce_msgs_per_s"], 4)
            if platform_events_per_s
            else None,
            "platform_events_vs_raw_consume": round(platform_events_per_s / raw["consume_msgs_per_s"], 4)
            if platform_events_per_s
            else None,
        },
        "rebuild": rebuilt,
        "peak_rss_mib": peak_rss,
        # CPU seconds each process used from its start to the services' stop
        "cpu_s": cpu_s,
        # CPU seconds each process used during the load (first POST → last ledger entry): who is busy
        "cpu_s_during_load": load.cpu_load,
        # cores' worth of CPU used during the load by processes that are not this run's (a shared
        # machine: well above 0 means the figures are pessimistic)
        "foreign_cpu_cores_during_load": load.foreign_cpu_cores,
        "seconds": {
            "platform_start": round(started_s, 1),
            "registration": round(load.registered_s, 1),
            "size_import": round(load.import_s, 1),
            "settle_before_load": round(load.settle_s, 1),
            "declaring": round(load.declare_t1 - load.declare_t0, 1),
            "chain_until_last_ledger_entry": round(load.chain_s, 1),
            "quiet_after_load": round(load.quiet_s, 1),
            "events_window": round(events_window, 1),
        },
        "http_statuses": dict(load.statuses),
        "machine": {
            **machine(),
            "python": platform.python_version(),
            "kafka": infra.kafka_version if infra.kafka is not None else "external",
            "postgresql": await pg_version(infra),
            "loadavg_before": args.loadavg_before,
            "cpu_calibration_ms": {"before": args.calibration_before, "after": cpu_calibration_ms()},
        },
    }


async def pg_version(infra: Infra) -> str | None:
    with contextlib.suppress(Exception):
        conn = await asyncpg.connect(infra.pg_server_dsn)
        try:
            return str(await conn.fetchval("SHOW server_version"))
        finally:
            await conn.close()
    return None


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--payers", type=int, default=250, help="payers generated and registered")
    ap.add_argument("--periods", type=int, default=5, help="fee periods declared per payer, from 2020-02 (at most 11)")
    ap.add_argument("--seed", type=int, default=2020, help="the generator's seed (same seed, same payers and declarations)")
    ap.add_argument("--concurrency", type=int, default=16, help="concurrent HTTP requests (frontends)")
    ap.add_argument("--partitions", type=int, default=12, help="partitions of the payer-scoped topics")
    ap.add_argument("--bootstrap", help="use this Kafka instead of starting one (consumer groups start at the topics' end)")
    ap.add_argument("--pg-url", help="use this PostgreSQL server (a maintenance-database URL; databases are created and dropped)")
    ap.add_argument("--no-subscriptions", action="store_true", help="leave the subscriptions service out")
    ap.add_argument("--chain-timeout", type=float, default=600, help="seconds to wait for the last ledger entry after the load")
    ap.add_argument("--logs", help="keep the services' logs in this directory (default: a temp dir removed at the end)")
    args = ap.parse_args(argv)
    if args.payers < 1 or not 1 <= args.periods <= 11 or args.concurrency < 1 or args.partitions < 1:
        ap.error("--payers, --concurrency and --partitions must be positive and --periods in 1..11")
    args.db = "postgresql"  # kernel_bench.infrastructure: the services run on PostgreSQL
    return args


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def log_dir(args: argparse.Namespace, infra: Infra) -> Iterator[Path]:
    path = Path(args.logs).resolve() if args.logs else infra.workdir / "logs"
    path.mkdir(parents=True, exist_ok=True)
    try:
        yield path
    except BaseException:
        for name in [s.name for s in SERVICES] + ["banksim"]:
            tail = _tail(path / f"{name}.log", 8)
            if tail and tail != "(no log)":
                log(f"last lines of {name}.log:\n{tail}")
        raise


async def run_interruptible(args: argparse.Namespace, infra: Infra, logs: Path) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    main_task = asyncio.current_task()
    assert main_task is not None

    def cancel() -> None:
        log("interrupted: stopping the services, then tearing down")
        main_task.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, cancel)
    try:
        return await run_bench(args, infra, logs)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def main(argv: list[str] | None = None) -> int:
    import logging

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    args = parse(argv)
    args.loadavg_before = round(os.getloadavg()[0], 2)
    args.calibration_before = cpu_calibration_ms()
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.perf_counter()
    try:
        with infrastructure(args) as infra, log_dir(args, infra) as logs:
            try:
                result = asyncio.run(run_interruptible(args, infra, logs))
            finally:
                with contextlib.suppress(Exception):
                    asyncio.run(infra.drop_created())
    except BenchFailure as exc:
        log(f"CHECK FAILED: {exc}")
        return 1
    except (KeyboardInterrupt, asyncio.CancelledError):
        log("interrupted")
        return 130
    result["seconds"]["total"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
