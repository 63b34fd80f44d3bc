"""eventkit-token keygen / issue produce keys and tokens the Authenticator accepts."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from eventkit.web import Authenticator
from eventkit.web.token_cli import main


def test_keygen_then_issue(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keys = tmp_path / "keys"
    assert main(["keygen", "--dir", str(keys)]) == 0
    private, public = keys / "jwt-private.pem", keys / "jwt-public.pem"
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    assert main(["keygen", "--dir", str(keys)]) == 1  # never overwrites silently
    capsys.readouterr()
    args = ["issue", "--key", str(private), "--sub", "alice", "--role", "payer", "--payer", "91320600MA1XXXXXX0"]
    assert main([*args, "--ttl", "600"]) == 0
    token = capsys.readouterr().out.strip()
    auth = Authenticator(public.read_text(), issuer="relief-platform", audience="relief-platform")
    principal = auth.verify(token)
    assert (principal.sub, principal.roles, principal.payer) == ("alice", frozenset({"payer"}), "91320600MA1XXXXXX0")
