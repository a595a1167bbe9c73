"""A progress bar for long `tepai` commands (dossiers for a cohort, imports, migrations of evidence).

On a terminal it draws a bar with the count, the rate and the time left; anywhere else (a pipe, a
log file, cron, CI) it prints nothing, so logs hold only the command's own summary line. The
drawing is tqdm's: it measures the rate, estimates the time left and redraws at most a few times
a second, which is what a hand-written `\\r` bar got wrong on slow terminals."""
from __future__ import annotations

import sys
from types import TracebackType
from typing import TextIO

from tqdm import tqdm

__all__ = ["Progress", "ProgressReport"]


class Progress:
    """`with Progress(total, label) as bar: ... bar.advance(item=code)`; `label` is already translated."""

    def __init__(self, total: int, label: str = "", stream: TextIO | None = None) -> None:
        self._stream = stream = sys.stderr if stream is None else stream
        self._bar = tqdm(total=total, desc=label or None, file=stream, disable=not _is_terminal(stream),
                         dynamic_ncols=True, mininterval=0.2, leave=True)

    @property
    def drawn(self) -> bool:
        """Whether anything is drawn (False when the stream is not a terminal)."""
        return not self._bar.disable

    def advance(self, count: int = 1, item: str = "") -> None:
        """`count` more done; `item` (a commissioner's code, a file name) is shown after the bar."""
        if item:
            self._bar.set_postfix_str(item, refresh=False)
        self._bar.update(count)

    def say(self, line: str) -> None:
        """A line for the reader (a failure, a warning), above the bar on a terminal; as a plain line
        to the stream otherwise."""
        if self.drawn:
            self._bar.write(line, file=self._stream)
        else:
            print(line, file=self._stream, flush=True)

    def close(self) -> None:
        self._bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


class ProgressReport:
    """A `Progress` for a service that learns its total as it goes and reports `(done, total)`
    (the importer, once it has read and checked the file): the bar appears at the first report.

    `with ProgressReport(label) as report: await import_file(..., progress=report)`."""

    def __init__(self, label: str = "", stream: TextIO | None = None) -> None:
        self._label, self._stream = label, stream
        self._bar: Progress | None = None
        self._done = 0

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            self._bar = Progress(total, self._label, self._stream)
        self._bar.advance(done - self._done)
        self._done = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def __enter__(self) -> ProgressReport:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or fake stream is no terminal
        return False
