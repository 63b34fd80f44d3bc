"""Settings: environment over the TOML file over the defaults; bad patterns and codes refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from banksim.config import Settings

BANKSIM = str(Path(sys.executable).parent / "banksim")


def test_environment_wins_over_the_file(tmp_path: Path) -> None:
    toml = tmp_path / "bank.toml"
    toml.write_text('p_5xx = 0.25\nseed = 3\nlatency_ms = [5, 10]\n[reject_accounts]\n"9999$" = "AC06"\n', encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "BANKSIM_SEED": "4", "BANKSIM_SECRET": "s3cret"}
    out = subprocess.run([BANKSIM, "config", "--config", str(toml)], env=env, check=True, capture_output=True, text=True).stdout
    settings = json.loads(out)
    assert (settings["p_5xx"], settings["seed"], settings["latency_ms"]) == (0.25, 4, [5, 10])
    assert settings["reject_accounts"] == {"9999$": "AC06"}
    assert "secret" not in settings and "s3cret" not in out


@pytest.mark.parametrize(
    "bad",
    [{"reject_accounts": {"(": "AC04"}}, {"reject_accounts": {"0$": "closed"}}, {"latency_ms": (10, 5)}, {"p_drop": 1.5}],
)
def test_bad_settings_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Settings(**bad)  # type: ignore[arg-type]


def test_reject_reason_by_pattern() -> None:
    s = Settings()
    assert s.reject_reason("6222000011110000", on_settle=False) == "AC04"
    assert s.reject_reason("6222000011110002", on_settle=False) is None
    assert s.reject_reason("6222000011110002", on_settle=True) == "AM04"
