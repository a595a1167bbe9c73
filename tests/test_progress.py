"""bot.progress: a bar with the time left on a terminal (a real pseudo-terminal here), nothing in a pipe."""
from __future__ import annotations

import fcntl
import io
import os
import pty
import select
import struct
import termios

from bot.progress import Progress


def _read_all(fd: int) -> str:
    chunks = []
    while select.select([fd], [], [], 0.2)[0]:
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the terminal's other end is closed
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks).decode("utf-8", "replace")


def test_a_terminal_gets_a_bar_with_the_count_and_the_time_left() -> None:
    main, other = pty.openpty()
    fcntl.ioctl(other, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a real terminal has a size
    try:
        with os.fdopen(other, "w", encoding="utf-8", closefd=False) as terminal:
            with Progress(3, "档案", stream=terminal) as bar:
                assert bar.drawn
                for code in ("C001", "C002", "C003"):
                    if code == "C002":
                        bar.say("C002：未能生成")
                    bar.advance(item=code)
            terminal.flush()
            seen = _read_all(main)
    finally:
        os.close(other)
        os.close(main)
    assert "档案" in seen and "3/3" in seen and "C003" in seen
    assert "<" in seen and "it/s" in seen  # elapsed<remaining and the rate: tqdm's ETA
    assert "C002：未能生成" in seen


def test_a_pipe_or_a_file_gets_no_bar() -> None:
    log = io.StringIO()
    with Progress(3, "档案", stream=log) as bar:
        assert not bar.drawn
        for code in ("C001", "C002", "C003"):
            bar.advance(item=code)
    assert log.getvalue() == ""
    with Progress(1, stream=log) as bar:
        bar.say("C002：未能生成")  # what the reader must see still arrives, as a plain line
    assert log.getvalue() == "C002：未能生成\n"
    read, write = os.pipe()
    with os.fdopen(write, "w") as pipe:
        with Progress(2, stream=pipe) as bar:
            bar.advance(2)
    with os.fdopen(read) as result:
        assert result.read() == ""


def test_a_report_of_done_and_total_draws_the_bar_once_the_total_is_known() -> None:
    from bot.progress import ProgressReport

    main, other = pty.openpty()
    fcntl.ioctl(other, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    try:
        with os.fdopen(other, "w", encoding="utf-8", closefd=False) as terminal:
            with ProgressReport("导入", stream=terminal) as report:
                for done in (0, 500, 1000, 1207):
                    report(done, 1207)
            terminal.flush()
            seen = _read_all(main)
    finally:
        os.close(other)
        os.close(main)
    assert "导入" in seen and "1207/1207" in seen and "<" in seen
    log = io.StringIO()
    with ProgressReport("导入", stream=log) as report:
        report(0, 3)
        report(3, 3)
    assert log.getvalue() == ""
    with ProgressReport("导入"):  # nothing to store (a failed check): no bar at all
        pass
