"""A real HTTP receiver for webhook tests, and an independent Standard Webhooks verifier.

The verifier is written from the specification (https://www.standardwebhooks.com), not from the
service's code: the secret is `whsec_` + base64 of the key, the signed content is
`{webhook-id}.{webhook-timestamp}.{body}`, the signature header is a space-separated list of
`v1,<base64 HMAC-SHA256>` and the timestamp must be within five minutes of now.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from devstack.ports import free_port

TOLERANCE_S = 300


class InvalidSignature(Exception):
    pass


def verify(secret: str, headers: dict[str, str], body: bytes) -> None:
    msg_id, stamp, sigs = headers.get("webhook-id"), headers.get("webhook-timestamp"), headers.get("webhook-signature")
    if not (msg_id and stamp and sigs):
        raise InvalidSignature("missing webhook headers")
    if abs(time.time() - int(stamp)) > TOLERANCE_S:
        raise InvalidSignature("timestamp outside the tolerance")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()).decode()
    for candidate in sigs.split(" "):
        version, _, sig = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(sig, expected):
            return
    raise InvalidSignature("no matching v1 signature")


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    fail_first: int = 0  # answer 500 to this many requests first
    attempts: int = 0
    requests: list[Received] = field(default_factory=list)  # answered 2xx
    failed: list[Received] = field(default_factory=list)  # answered 500


@contextmanager
def receiving(path: str = "/hooks/relief") -> Iterator[Receiver]:
    port = free_port()
    rec = Receiver(url=f"http://127.0.0.1:{port}{path}")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            got = Received({k.lower(): v for k, v in self.headers.items()}, body)
            with lock:
                rec.attempts += 1
                failing = rec.attempts <= rec.fail_first
                (rec.failed if failing else rec.requests).append(got)
            self.send_response(500 if failing else 204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()
