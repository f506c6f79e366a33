"""The state every request of ``cpc serve`` shares: its settings, the bearer token and the policies in service,
and reloading them on SIGHUP."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from engine.policy.policies import PolicyError, policy_roots
from engine.serve.catalogue import Catalogue
from engine.serve.openapi import MAX_BATCH_BYTES, MAX_BODY_BYTES, TIMEOUT

__all__ = ["EXIT_STARTUP", "Service", "Settings", "TokenError", "log_findings", "read_token"]

log = logging.getLogger("cpc.serve")

EXIT_STARTUP = 3
"""The exit status of a worker process that could not load the policies."""


@dataclass(frozen=True)
class Settings:
    """What every worker process needs to serve: JSON-able, so that it can reach a spawned worker."""

    policies_dir: str | None = None
    token_file: str | None = None
    max_body_bytes: int = MAX_BODY_BYTES
    max_batch_bytes: int = MAX_BATCH_BYTES
    timeout: float = TIMEOUT


class TokenError(Exception):
    """The token file cannot be used."""


def read_token(path: str) -> bytes:
    """The bearer token in ``path`` (surrounding whitespace removed); :class:`TokenError` if there is none."""
    try:
        token = Path(path).read_bytes().strip()
    except OSError as exc:
        raise TokenError(f"--token-file {path}: cannot be read: {exc.strerror or exc}") from None
    if not token:
        raise TokenError(f"--token-file {path}: the file is empty")
    if any(byte < 0x21 or byte > 0x7E for byte in token):
        raise TokenError(f"--token-file {path}: a token is one line of printable ASCII, with no spaces")
    return token


class Service:
    """The state the routes share: the settings, the token and the current :class:`Catalogue`."""

    def __init__(self, settings: Settings, catalogue: Catalogue | None = None):
        self.settings = settings
        self.catalogue = catalogue
        self.token = read_token(settings.token_file) if settings.token_file else None
        self._reloading: asyncio.Task | None = None
        self._again = False

    def load(self) -> Catalogue:
        return Catalogue.load(self.settings.policies_dir)

    # -- reloading (SIGHUP) --

    def request_reload(self) -> None:
        """Reload in the background; a signal that arrives during a reload runs one more after it."""
        if self._reloading is not None and not self._reloading.done():
            self._again = True
            return
        self._reloading = asyncio.get_running_loop().create_task(self._reload())

    async def _reload(self) -> None:
        while True:
            self._again = False
            await self.reload()
            if not self._again:
                return

    async def reload(self) -> bool:
        """Load the policies (in a thread: requests go on meanwhile) and the token again, and put them in
        service together, or neither when either cannot be used. True when they were."""
        log.info("reloading the policies from %s", self._where())
        try:
            token = read_token(self.settings.token_file) if self.settings.token_file else None
            catalogue = await asyncio.to_thread(self.load)
        except TokenError as exc:
            log.error("reload refused, still serving the policies loaded at %s: %s", self._loaded_at(), exc)
            return False
        except PolicyError as exc:
            log.error("reload refused, still serving the policies loaded at %s: %s", self._loaded_at(), exc.message)
            log_findings(exc)
            return False
        old = self.catalogue
        if token != self.token:
            log.info("the token in %s is now the one taken", self.settings.token_file)
        self.catalogue, self.token = catalogue, token
        log.info(
            "reloaded: %s%s",
            _versions(catalogue),
            "" if old is None or old.digest != catalogue.digest else " (no policy file changed)",
        )
        return True

    def _where(self) -> str:
        return " then ".join(str(root) for root in policy_roots(self.settings.policies_dir))

    def _loaded_at(self) -> str:
        return self.catalogue.stamp()["loaded_at"] if self.catalogue else "never"


def log_findings(exc: PolicyError) -> None:
    """Each line of the lint report of ``exc`` as a log line of its own, so that a log reader sees each with its
    time and level."""
    from engine.policy.lint.reporters import text

    if exc.findings:
        for line in text(exc.findings, len({f.file for f in exc.findings})).splitlines():
            if line.strip():
                log.error("  %s", line)


def _versions(catalogue: Catalogue) -> str:
    today = dt.date.today()
    parts = []
    for area in catalogue.areas:
        version = catalogue.library.get(area, today)
        parts.append(f"{area} {version.version if version else '(none in force)'}")
    return ", ".join(parts) + f"; digest {catalogue.digest}"
