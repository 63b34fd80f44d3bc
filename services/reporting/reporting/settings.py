"""Settings of the reporting service: every field can be set as `REPORTING_<FIELD>` (see
eventkit.settings), e.g. `REPORTING_DATABASE_URL`, `REPORTING_TOPIC_PARTITIONS`.

`REPORTING_SERVICES` names the services whose pipeline the ops dashboard shows, as
`name=url` pairs separated by commas (`declaration=http://127.0.0.1:8001,refund=http://…`); the
reporting service reports its own without being listed."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from eventkit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore")

    service_name: str = "reporting"
    services: str = ""
    pipeline_timeout_s: float = 3.0

    def service_urls(self) -> dict[str, str]:
        """`services` as {name: base URL}, in the order given (a malformed pair is a ValueError)."""
        out: dict[str, str] = {}
        for pair in (p.strip() for p in self.services.split(",")):
            if not pair:
                continue
            name, sep, url = pair.partition("=")
            if not sep or not name.strip() or not url.strip().startswith(("http://", "https://")):
                raise ValueError(f"REPORTING_SERVICES: expected name=http(s)://host:port, got {pair!r}")
            out[name.strip()] = url.strip().rstrip("/")
        return out
