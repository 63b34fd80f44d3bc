"""A service as a real process for tests: `<service> serve` on a free port, waited for until
/readyz answers 200, SIGKILLed and started again on the same port and database."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO


@dataclass
class ServiceProcess:
    command: str  # declaration, relief-calc, …
    env: dict[str, str]
    port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    _out: IO[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def run(self, *args: str) -> None:
        subprocess.run([str(Path(sys.executable).parent / self.command), *args], env=self.env, check=True, capture_output=True)

    def start(self, ready_timeout_s: float = 120) -> None:
        self._out = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).parent / self.command), "serve", "--port", str(self.port)],
            env=self.env,
            stdout=self._out,
            stderr=self._out,
        )
        deadline = time.monotonic() + ready_timeout_s
        while True:
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=2) as r:
                    if r.status == 200:
                        return
            except Exception:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.command} did not become ready:\n{self.log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.3)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=60)
        self._close()

    def _close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
