"""A real PostgreSQL 15 cluster run from the distribution's binaries, one per workdir.

Layout of ``workdir``::

    data/                    PGDATA (owned by the ``postgres`` OS user when we run as root)
    sock/                    the unix socket (moved under /tmp if the path would be too long)
    postgres.log             the server log (pg_ctl -l)
    devstack-postgres.json   the port of the last run, reused when still free

Running as root: PostgreSQL refuses to start as root (it would give every SQL superuser the
machine), so when ``os.geteuid() == 0`` every initdb/pg_ctl call goes through
``runuser -u postgres --`` (or ``su postgres -s /bin/sh -c`` where runuser is missing), the
data/socket/log paths are chowned to that user and the workdir's ancestors get the
others-search bit (``o+x``, never read) so the server can reach them.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import pwd
import shlex
import shutil
import signal
import subprocess
from pathlib import Path
from types import TracebackType

import asyncpg
import psutil

from devstack._aio import run_sync
from devstack._util import tail_file
from devstack.ports import free_port, port_is_free

SUPERUSER = "relief"
_STATE_FILE = "devstack-postgres.json"
_SOCK_MAX = 100  # sun_path is 108 bytes; leave room for "/.s.PGSQL.NNNNN.lock"


class PostgresError(RuntimeError):
    """initdb/pg_ctl failed; the message carries the command output and the log tail."""


_STARTED: set[PostgresCluster] = set()


@atexit.register
def _stop_leftovers() -> None:
    """pg_ctl detaches the postmaster, so a cluster this process started and never stopped
    would outlive it; stop such clusters at interpreter exit (best effort)."""
    for cluster in list(_STARTED):
        try:
            cluster.stop(mode="immediate", timeout=20)
        except Exception:  # best effort at interpreter exit
            pass


def find_pg_bindir() -> Path:
    """PostgreSQL binaries: ``$PG_BINDIR``, else ``/usr/lib/postgresql/15/bin``, else
    ``pg_config --bindir``."""
    candidates: list[Path] = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(Path(os.environ["PG_BINDIR"]))
    candidates.append(Path("/usr/lib/postgresql/15/bin"))
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout.strip():
            candidates.append(Path(out.stdout.strip()))
    for cand in candidates:
        if (cand / "initdb").is_file() and (cand / "pg_ctl").is_file():
            return cand
    raise PostgresError(f"no PostgreSQL binaries (initdb, pg_ctl) in {candidates}; set PG_BINDIR")


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class PostgresCluster:
    """One PostgreSQL cluster listening on 127.0.0.1 only, superuser ``relief``, trust auth.

    ``port`` defaults to the port recorded by an earlier run in this workdir (if still free),
    else a fresh free port; it then stays fixed for this object across stop/start/restart.
    """

    def __init__(self, workdir: Path, port: int | None = None, *, os_user: str = "postgres") -> None:
        self.workdir = Path(workdir).resolve()
        self.bindir = find_pg_bindir()
        self._as_root = os.geteuid() == 0
        self._pw: pwd.struct_passwd | None = None
        if self._as_root:
            try:
                self._pw = pwd.getpwnam(os_user)
            except KeyError:
                raise PostgresError(f"running as root needs an OS user {os_user!r} to run PostgreSQL as") from None
        if port is None:
            port = self._running_port()  # attach to a cluster already running in this workdir
        if port is None:
            old = self._load_state().get("port")
            port = old if isinstance(old, int) and port_is_free(old) else free_port()
        self.port: int = port

    def _running_port(self) -> int | None:
        if self.postmaster_pid() is None:
            return None
        try:  # postmaster.pid: pid, data dir, start time, port, socket dir, ...
            return int((self.data_dir / "postmaster.pid").read_text().split("\n")[3])
        except (OSError, ValueError, IndexError):
            return None

    # ----------------------------------------------------------------- paths and addresses
    @property
    def data_dir(self) -> Path:
        return self.workdir / "data"

    @property
    def log_file(self) -> Path:
        """The server log (``pg_ctl -l``)."""
        return self.workdir / "postgres.log"

    @property
    def log_path(self) -> Path:
        """Alias of :attr:`log_file`."""
        return self.log_file

    @property
    def socket_dir(self) -> Path:
        """``<workdir>/sock``, or a per-workdir dir under /tmp when that path is too long for a
        unix socket name."""
        local = self.workdir / "sock"
        if len(str(local)) <= _SOCK_MAX - len("/.s.PGSQL.65535.lock"):
            return local
        digest = hashlib.sha1(str(self.workdir).encode()).hexdigest()[:12]
        return Path("/tmp") / f"devstack-pg-{digest}"

    def url(self, dbname: str) -> str:
        """SQLAlchemy URL for the asyncpg driver."""
        return f"postgresql+asyncpg://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def dsn(self, dbname: str) -> str:
        """Plain libpq/asyncpg DSN."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def log_tail(self, n: int = 200) -> str:
        text = tail_file(self.log_file, n)
        return f"---- {self.log_file} (last {n} lines) ----\n{text}" if text else "(empty log)"

    # ----------------------------------------------------------------- process helpers
    def _load_state(self) -> dict[str, object]:
        try:
            loaded = json.loads((self.workdir / _STATE_FILE).read_text())
        except (FileNotFoundError, ValueError):
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def _as_pg_user(self, args: list[str]) -> list[str]:
        """Prefix ``args`` to run as the postgres OS user when we are root (see module doc)."""
        if self._pw is None:
            return args
        if shutil.which("runuser"):
            return ["runuser", "-u", self._pw.pw_name, "--", *args]
        return ["su", self._pw.pw_name, "-s", "/bin/sh", "-c", shlex.join(args)]

    def _run(self, args: list[str], what: str) -> str:
        proc = subprocess.run(
            self._as_pg_user(args),
            cwd=self.workdir,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise PostgresError(
                f"{what} failed (exit {proc.returncode}): {shlex.join(args)}\n{proc.stdout}\n{proc.stderr}\n{self.log_tail(60)}"
            )
        return proc.stdout

    def _own(self, path: Path) -> None:
        if self._pw is not None:
            os.chown(path, self._pw.pw_uid, self._pw.pw_gid)

    def _make_traversable(self, path: Path) -> None:
        """Give ``path`` and its ancestors the others-search bit if they lack it, so the
        postgres user can reach its data dir (e.g. pytest's 0700 /tmp/pytest-of-root)."""
        for p in [path, *path.parents]:
            st = p.stat()
            if not st.st_mode & 0o001 and st.st_uid != (self._pw.pw_uid if self._pw else -1):
                os.chmod(p, st.st_mode | 0o001)

    def _prepare_dirs(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for d in (self.data_dir, self.socket_dir):
            d.mkdir(parents=True, exist_ok=True)
            os.chmod(d, 0o700)
            self._own(d)
        self.log_file.touch(exist_ok=True)
        self._own(self.log_file)
        if self._pw is not None:
            self._make_traversable(self.workdir)
            self._make_traversable(self.socket_dir.parent)

    def postmaster_pid(self) -> int | None:
        """PID of the running postmaster from ``postmaster.pid``, or None."""
        try:
            first = (self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0]
            pid = int(first.strip())
        except (FileNotFoundError, ValueError):
            return None
        try:
            proc = psutil.Process(pid)
            if proc.status() == psutil.STATUS_ZOMBIE or "postgres" not in proc.name():
                return None
        except psutil.Error:
            return None
        return pid

    def is_running(self) -> bool:
        return self.postmaster_pid() is not None

    # ----------------------------------------------------------------- lifecycle
    def is_initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").is_file()

    def init(self) -> None:
        """``initdb`` once (trust auth, locale C, UTF8, superuser ``relief``); a half-made data
        dir (no PG_VERSION) from an interrupted initdb is wiped and redone."""
        self._prepare_dirs()
        if self.is_initialised():
            return
        for child in self.data_dir.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
        initdb = str(self.bindir / "initdb")
        self._run(
            [initdb, "-D", str(self.data_dir), "-U", SUPERUSER, "--auth=trust", "--locale=C",
             "--encoding=UTF8", "--no-instructions"],
            "initdb",
        )  # fmt: skip
        with open(self.data_dir / "postgresql.conf", "a") as conf:
            conf.write("\n# devstack: per-start settings (port, socket dir, ...)\n")
            conf.write("include_if_exists = 'devstack.conf'\n")

    def _write_settings(self) -> None:
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.socket_dir}'",
            "max_connections": "200",
            "shared_buffers": "128MB",
            "fsync": "on",  # crash tests SIGKILL the server: durability must be real
            "synchronous_commit": "on",
            "full_page_writes": "on",
            "logging_collector": "off",
            "log_line_prefix": "'%m [%p] %q%u@%d '",
            "log_timezone": "'UTC'",
            "timezone": "'UTC'",
        }
        path = self.data_dir / "devstack.conf"
        path.write_text("".join(f"{k} = {v}\n" for k, v in settings.items()))
        self._own(path)
        state = {"port": self.port}
        (self.workdir / _STATE_FILE).write_text(json.dumps(state) + "\n")

    def start(self, timeout: float = 60.0) -> None:
        """initdb if needed, then ``pg_ctl -w start``; no-op if already running."""
        self.init()
        if self.is_running():
            return
        self._prepare_dirs()
        self._write_settings()
        pg_ctl = str(self.bindir / "pg_ctl")
        self._run(
            [pg_ctl, "-D", str(self.data_dir), "-l", str(self.log_file), "-w",
             "-t", str(int(timeout)), "start"],
            "pg_ctl start",
        )  # fmt: skip
        _STARTED.add(self)

    def stop(self, mode: str = "fast", timeout: float = 60.0) -> None:
        """``pg_ctl stop -m <smart|fast|immediate>``; no-op if not running."""
        if not self.is_running():
            _STARTED.discard(self)
            return
        pg_ctl = str(self.bindir / "pg_ctl")
        self._run(
            [pg_ctl, "-D", str(self.data_dir), "-m", mode, "-w", "-t", str(int(timeout)), "stop"],
            "pg_ctl stop",
        )
        _STARTED.discard(self)

    def kill(self) -> None:
        """Crash the server: SIGKILL the postmaster and every backend, then wait for them.

        The backends are killed too because orphaned ones keep the old shared memory segment
        attached, and the next start would refuse with "pre-existing shared memory block is
        still in use". The next start runs WAL crash recovery; committed data survives.
        """
        pid = self.postmaster_pid()
        if pid is None:
            return
        try:
            root = psutil.Process(pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        for proc in procs:
            try:
                proc.send_signal(signal.SIGKILL)
            except psutil.NoSuchProcess:
                pass
        _, alive = psutil.wait_procs(procs, timeout=15)
        _STARTED.discard(self)
        if alive:
            raise PostgresError(f"processes survived SIGKILL: {alive}")

    def restart(self, timeout: float = 60.0) -> None:
        self.stop()
        self.start(timeout)

    def destroy(self) -> None:
        """Stop (immediate) and delete the data dir and socket dir; the log is kept."""
        if self.is_running():
            self.stop(mode="immediate")
        shutil.rmtree(self.data_dir, ignore_errors=True)
        shutil.rmtree(self.socket_dir, ignore_errors=True)
        (self.workdir / _STATE_FILE).unlink(missing_ok=True)

    # ----------------------------------------------------------------- databases
    async def acreate_database(self, name: str) -> bool:
        """Create database ``name`` unless it exists; True if it was created."""
        conn = await asyncpg.connect(self.dsn("postgres"))
        try:
            if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                return False
            try:
                await conn.execute(f"CREATE DATABASE {_quote_ident(name)}")
            except asyncpg.DuplicateDatabaseError:
                return False
            return True
        finally:
            await conn.close()

    async def adrop_database(self, name: str) -> None:
        """Drop ``name`` if it exists, terminating its open connections."""
        conn = await asyncpg.connect(self.dsn("postgres"))
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {_quote_ident(name)} WITH (FORCE)")
        finally:
            await conn.close()

    def create_database(self, name: str) -> bool:
        return run_sync(self.acreate_database(name))

    def drop_database(self, name: str) -> None:
        run_sync(self.adrop_database(name))

    def __enter__(self) -> PostgresCluster:
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
        return f"PostgresCluster(127.0.0.1:{self.port}, workdir={self.workdir})"
