"""A real single-node Kafka (KRaft, combined broker + controller) run from Maven-resolved jars.

Layout of a broker's ``workdir``::

    server.properties   log4j.properties   devstack-kafka.json  (cluster id + ports, kept)
    data/               the log dir (meta.properties written by the one-time format)
    logs/server.log     the broker's own log (log4j)
    logs/kafka.out      the JVM's stdout/stderr (crashes, OOMs, log4j problems)
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path
from types import TracebackType

import psutil
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from devstack._aio import run_sync
from devstack._util import tail_file
from devstack.jars import DEFAULT_VERSION, ensure_kafka_jars, java_binary, new_cluster_id
from devstack.kafka_config import LOG4J_PROPERTIES, DropConnectErrors, server_properties
from devstack.ports import free_ports, port_is_free

__all__ = ["DEFAULT_VERSION", "KafkaBroker", "KafkaStartError", "ensure_kafka_jars"]

_STATE_FILE = "devstack-kafka.json"


class KafkaStartError(RuntimeError):
    """The broker exited or never became ready; the message carries the tail of its logs."""


_LIVE: set[KafkaBroker] = set()  # strong refs: a dropped object must not orphan its JVM


@atexit.register
def _kill_leftovers() -> None:
    """Brokers run in their own session (Ctrl-C must not crash them mid-test), so nothing else
    would end them if the Python process exits without calling stop()."""
    for broker in list(_LIVE):
        try:
            broker.stop(timeout=10)
        except Exception:  # best effort at interpreter exit
            pass


class KafkaBroker:
    """One KRaft node that is both broker and controller, bound to 127.0.0.1.

    ``port``/``controller_port`` default to the ports recorded in the workdir by an earlier run
    (if still free) or else to fresh free ports; they then stay fixed for this object, so
    ``restart()`` keeps ``bootstrap`` stable for clients that reconnect.
    """

    def __init__(
        self,
        workdir: Path,
        port: int | None = None,
        controller_port: int | None = None,
        version: str = DEFAULT_VERSION,
        heap: str = "512m",
        extra_properties: dict[str, str] | None = None,
        scram_users: dict[str, str] | None = None,
    ) -> None:
        """``scram_users`` (name → password) get SCRAM-SHA-512 credentials when the storage is
        formatted (KRaft keeps them in its metadata), for a listener with SASL/SCRAM that
        ``extra_properties`` adds."""
        self.workdir = Path(workdir).resolve()
        self.scram_users = dict(scram_users or {})
        self.version = version
        self.heap = heap
        self.extra_properties = dict(extra_properties or {})
        self._proc: subprocess.Popen[bytes] | None = None
        state = self._load_state()
        self.port, self.controller_port = self._choose_ports(port, controller_port, state)
        self.cluster_id: str = str(state.get("cluster_id") or "")

    # ----------------------------------------------------------------- paths and properties
    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def log_dir(self) -> Path:
        """Where ``server.log`` (log4j) and ``kafka.out`` (JVM stdout/stderr) are written."""
        return self.workdir / "logs"

    @property
    def data_dir(self) -> Path:
        """Kafka's ``log.dirs``: the topic data and ``meta.properties``."""
        return self.workdir / "data"

    @property
    def properties_file(self) -> Path:
        return self.workdir / "server.properties"

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # ----------------------------------------------------------------- configuration
    def _load_state(self) -> dict[str, object]:
        try:
            loaded = json.loads((self.workdir / _STATE_FILE).read_text())
        except (FileNotFoundError, ValueError):
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def _save_state(self) -> None:
        state = {
            "cluster_id": self.cluster_id,
            "port": self.port,
            "controller_port": self.controller_port,
            "version": self.version,
        }
        (self.workdir / _STATE_FILE).write_text(json.dumps(state, indent=2) + "\n")

    @staticmethod
    def _choose_ports(port: int | None, controller_port: int | None, state: dict[str, object]) -> tuple[int, int]:
        fresh = free_ports(2)
        old_p, old_c = state.get("port"), state.get("controller_port")
        if port is None:
            port = old_p if isinstance(old_p, int) and port_is_free(old_p) else fresh[0]
        if controller_port is None:
            ok = isinstance(old_c, int) and old_c != port and port_is_free(old_c)
            controller_port = old_c if ok and isinstance(old_c, int) else fresh[1]
            if controller_port == port:
                controller_port = fresh[0] if fresh[1] == port else fresh[1]
        if port == controller_port:
            raise ValueError("port and controller_port must differ")
        return port, controller_port

    def server_properties(self) -> str:
        return server_properties(self.port, self.controller_port, self.data_dir, self.extra_properties)

    def _prepare(self) -> None:
        """Write the config files and format the storage exactly once.

        Why never re-format: ``format`` stamps ``meta.properties`` with the cluster id and writes
        the bootstrap metadata; formatting again (or with a new id) after a crash would either be
        refused or orphan the existing data, which is exactly what crash/restart fault tests must
        not do. So the cluster id is kept in the workdir and the format step is skipped whenever
        ``data/meta.properties`` exists (``--ignore-formatted`` is passed as a second guard).
        """
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        existing = self._formatted_cluster_id()
        if existing:
            self.cluster_id = existing
        elif not self.cluster_id:
            self.cluster_id = new_cluster_id()
        self.properties_file.write_text(self.server_properties())
        (self.workdir / "log4j.properties").write_text(LOG4J_PROPERTIES)
        self._save_state()
        if existing:
            return
        lib = ensure_kafka_jars(self.version)
        cmd = [
            java_binary(), "-Xmx256m",
            f"-Dlog4j.configuration=file:{self.workdir}/log4j.properties",
            f"-Dkafka.logs.dir={self.log_dir}", "-cp", f"{lib}/*", "kafka.tools.StorageTool",
            "format", "-t", self.cluster_id, "-c", str(self.properties_file), "--ignore-formatted",
        ]  # fmt: skip
        for name, password in sorted(self.scram_users.items()):
            cmd += ["--add-scram", f"SCRAM-SHA-512=[name={name},password={password}]"]
        proc = subprocess.run(cmd, cwd=self.workdir, capture_output=True, text=True, check=False)
        if proc.returncode != 0 or not self._formatted_cluster_id():
            raise KafkaStartError(f"formatting {self.data_dir} failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")

    def _formatted_cluster_id(self) -> str | None:
        try:
            text = (self.data_dir / "meta.properties").read_text()
        except FileNotFoundError:
            return None
        for line in text.splitlines():
            if line.startswith("cluster.id="):
                return line.split("=", 1)[1].strip()
        return None

    # ----------------------------------------------------------------- lifecycle
    def launch(self) -> None:
        """Spawn the JVM (own session/process group) without waiting for readiness."""
        if self.is_running():
            return
        self._prepare()
        lib = ensure_kafka_jars(self.version)
        cmd = [
            java_binary(), f"-Xms{self.heap}", f"-Xmx{self.heap}", "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20", "-XX:+ExplicitGCInvokesConcurrent",
            "-Djava.awt.headless=true",
            f"-Dkafka.logs.dir={self.log_dir}",
            "-Dlog4j.configuration=file:" + str(self.workdir / "log4j.properties"),
            "-cp", f"{lib}/*", "kafka.Kafka", str(self.properties_file),
        ]  # fmt: skip
        with open(self.log_dir / "kafka.out", "ab") as out:
            out.write(f"\n==== devstack: starting Kafka {self.version} at {time.ctime()}\n".encode())
            out.flush()
            self._proc = subprocess.Popen(
                cmd,
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _LIVE.add(self)

    async def wait_ready(self, timeout: float = 90.0) -> None:  # noqa: ASYNC109 - the error names it
        """Wait until ``describe_cluster`` answers and a probe topic can be created and deleted.

        An open port is not enough: a KRaft node accepts connections before its metadata is
        loaded, and topic creation fails until the controller has caught up.
        """
        quiet = DropConnectErrors(self.bootstrap)
        client_log = logging.getLogger("aiokafka")
        client_log.addFilter(quiet)
        try:
            await self._wait_ready(timeout)
        finally:
            client_log.removeFilter(quiet)

    async def _wait_ready(self, timeout: float) -> None:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        last_error: BaseException | None = None
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                code = None if self._proc is None else self._proc.returncode
                raise KafkaStartError(f"Kafka broker exited during start (code {code})\n{self.tail_log(80)}")
            try:
                await asyncio.wait_for(self._probe(), timeout=max(1.0, min(15.0, deadline - time.monotonic())))
                return
            except Exception as exc:  # any failure means "not ready yet"
                last_error = exc
            await asyncio.sleep(0.25)
        raise KafkaStartError(
            f"Kafka broker at {self.bootstrap} not ready after {timeout}s (last error: {last_error!r})\n{self.tail_log(80)}"
        )

    async def _probe(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=5000)
        try:
            await admin.start()
            await admin.describe_cluster()
            topic = f"_devstack_probe_{uuid.uuid4().hex[:12]}"
            created = await admin.create_topics([NewTopic(topic, 1, 1)], timeout_ms=5000)
            codes = [e[1] for e in created.topic_errors]
            if any(codes):
                raise RuntimeError(f"probe topic creation failed: {created.topic_errors}")
            deleted = await admin.delete_topics([topic], timeout_ms=5000)
            if any(e[1] for e in deleted.topic_error_codes):
                raise RuntimeError(f"probe topic deletion failed: {deleted.topic_error_codes}")
        finally:
            await admin.close()

    def start(self, timeout: float = 90.0) -> None:
        """Launch the broker and block until it is ready; on failure it is killed and a
        :class:`KafkaStartError` with the log tail is raised."""
        self.launch()
        try:
            run_sync(self.wait_ready(timeout))
        except BaseException:
            self.kill()
            raise

    async def astart(self, timeout: float = 90.0) -> None:  # noqa: ASYNC109 - mirrors start()
        """Async twin of :meth:`start` (launching is quick; readiness is awaited)."""
        self.launch()
        try:
            await self.wait_ready(timeout)
        except BaseException:
            self.kill()
            raise

    def _signal(self, sig: signal.Signals) -> None:
        if self._proc is None or self._proc.poll() is not None:
            return
        try:
            os.killpg(self._proc.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self, timeout: float = 30.0) -> None:
        """Controlled shutdown: SIGTERM (resuming a paused JVM first), wait; SIGKILL on timeout."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._signal(signal.SIGCONT)
            self._signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self._proc.wait()
        _LIVE.discard(self)

    def kill(self) -> None:
        """Crash the broker: SIGKILL its process group and reap it (data stays on disk).

        The next start takes ~10-15 s instead of ~3 s: the restarted controller still holds the
        dead incarnation's registration and refuses the new one (DUPLICATE_BROKER_REGISTRATION)
        until ``broker.session.timeout.ms`` (9 s default) expires. Lower it through
        ``extra_properties`` if a fault test crashes the broker many times.
        """
        if self._proc is None:
            return
        self._signal(signal.SIGKILL)
        self._proc.wait()
        _LIVE.discard(self)

    def pause(self) -> None:
        """Freeze the JVM with SIGSTOP (connections stay open, nothing answers); returns once the
        kernel reports it stopped."""
        self._signal(signal.SIGSTOP)
        self._await_state(stopped=True)

    def resume(self) -> None:
        """Thaw a paused JVM with SIGCONT; returns once it runs again."""
        self._signal(signal.SIGCONT)
        self._await_state(stopped=False)

    def _await_state(self, *, stopped: bool, timeout: float = 5.0) -> None:
        if self._proc is None:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                status = psutil.Process(self._proc.pid).status()
            except psutil.NoSuchProcess:
                return
            if (status == psutil.STATUS_STOPPED) == stopped or status == psutil.STATUS_ZOMBIE:
                return
            time.sleep(0.01)

    def restart(self, timeout: float = 90.0, *, hard: bool = False) -> None:
        """Stop (or, with ``hard``, kill) and start again on the same ports and data."""
        if hard:
            self.kill()
        else:
            self.stop()
        self.start(timeout)

    def tail_log(self, n: int = 200) -> str:
        """Last ``n`` lines of ``server.log`` and of ``kafka.out``, for printing on failure."""
        parts = []
        for name in ("server.log", "kafka.out"):
            text = tail_file(self.log_dir / name, n)
            if text.strip():
                parts.append(f"---- {self.log_dir / name} (last {n} lines) ----\n{text}")
        return "\n".join(parts) if parts else f"(no logs in {self.log_dir})"

    def __enter__(self) -> KafkaBroker:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"KafkaBroker({self.bootstrap}, pid={self.pid}, workdir={self.workdir})"
