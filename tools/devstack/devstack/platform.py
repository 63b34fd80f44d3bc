"""The platform's services as `make run` starts them: names, commands, ports, environment."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ServiceProc:
    name: str  # the service and its command (`relief-calc serve`)
    env_prefix: str  # RELIEF_CALC_
    default_port: int

    def command(self, venv_bin: Path, *args: str) -> list[str]:
        return [str(venv_bin / self.name), *args]


SERVICES = (
    ServiceProc("declaration", "DECLARATION_", 8001),
    ServiceProc("relief-calc", "RELIEF_CALC_", 8002),
    ServiceProc("refund", "REFUND_", 8003),
    ServiceProc("classification", "CLASSIFICATION_", 8004),
    ServiceProc("subscriptions", "SUBSCRIPTIONS_", 8005),
    ServiceProc("reporting", "REPORTING_", 8006),
)

# Not a service of the platform: the bank simulator (tools/banksim) that `make run` starts so that
# refunds can be instructed and payments notified on one machine.
BANK_SIMULATOR = ServiceProc("banksim", "BANKSIM_", 8900)
