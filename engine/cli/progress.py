"""Progress on a terminal for the commands a user waits on: a bar when the total is known, else a running count.

Nothing is drawn when standard error is not a terminal (a log file, CI), and nothing before ``delay`` seconds
have passed, so a command that finishes quickly prints no progress at all.
"""

from __future__ import annotations

import time
from typing import TextIO

import click


class Progress:
    """Progress of ``total`` items (or an unknown number) drawn on ``stream``, once ``delay`` seconds have passed."""

    COUNT_EVERY = 0.25  # seconds between two redraws of the running count

    def __init__(
        self,
        stream: TextIO,
        total: int | None,
        *,
        label: str = "Evaluating",
        counted: str = "Evaluated {count:,} cases",
        delay: float = 0.0,
    ):
        self.stream = stream
        self.count = 0
        self._total = total
        self._label = label
        self._counted = counted
        self._start = time.monotonic()
        self._delay = delay
        self._drawn = 0.0
        self._bar = None

    def __enter__(self) -> Progress:
        if self._delay <= 0:
            self._open_bar()
        return self

    def _open_bar(self) -> None:
        if self._bar is None and self._total:
            self._bar = click.progressbar(
                length=self._total,
                file=self.stream,
                label=self._label,
                show_pos=True,
                update_min_steps=max(1, self._total // 500),
            )
            self._bar.__enter__()
            if self.count:
                self._bar.update(self.count)

    def advance(self, items: int = 1) -> None:
        """``items`` more done."""
        self.count += items
        now = time.monotonic()
        if self._bar is None and self._delay > 0 and now - self._start < self._delay:
            return
        if self._total:
            if self._bar is None:
                self._open_bar()
            else:
                self._bar.update(items)
            return
        if now - self._drawn >= self.COUNT_EVERY:
            self._drawn = now
            self.stream.write("\r" + self._counted.format(count=self.count))
            self.stream.flush()

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
        elif self._drawn:
            self.stream.write("\r\x1b[K")  # the summary line replaces the count
            self.stream.flush()


class Silent:
    """No progress: standard error is not a terminal (a log file, CI)."""

    def __enter__(self) -> Silent:
        return self

    def advance(self, items: int = 1) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        pass


def progress(
    stream: TextIO,
    total: int | None,
    *,
    label: str = "Evaluating",
    counted: str = "Evaluated {count:,} cases",
    delay: float = 0.0,
) -> Progress | Silent:
    """Progress drawn on ``stream`` when it is a terminal; nothing at all otherwise.

    ``label`` heads the bar; ``counted`` is the running count's text when the total is unknown (``{count}`` is
    replaced); ``delay`` is how long to wait before drawing anything.
    """
    if not stream.isatty():
        return Silent()
    return Progress(stream, total, label=label, counted=counted, delay=delay)
