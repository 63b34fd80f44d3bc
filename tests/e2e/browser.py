"""Debian's chromium (`/usr/bin/chromium`, installed by `.ci/run` when missing), headless, driven
by Python playwright: a fresh profile per use, nothing downloaded (never `playwright install`),
and every console error and uncaught page error collected."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from playwright.sync_api import ConsoleMessage, Error, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@dataclass
class Browsing:
    page: Page
    errors: list[str] = field(default_factory=list)  # console errors and uncaught exceptions, as text

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} ({message.location.get('url', '')})")

    def _page_error(self, error: Error) -> None:
        self.errors.append(f"page error: {error.message}")


@contextmanager
def chromium_page(width: int = 1440, height: int = 1100) -> Iterator[Browsing]:
    with tempfile.TemporaryDirectory(prefix="relief-chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=list(FLAGS),
            viewport={"width": width, "height": height},
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
        )
        try:
            page = context.new_page()
            browsing = Browsing(page)
            page.on("console", browsing._console)
            page.on("pageerror", browsing._page_error)
            yield browsing
        finally:
            context.close()
