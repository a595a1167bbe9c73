"""Telegram's sending limits as a sliding window, for the outbox sender."""
from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """Telegram's rule as a sliding window: at most `per_second` messages in any window of a
    little over a second, and `per_chat_interval` seconds between two messages to one chat.

    A window (not a fixed gap between messages) lets the sender catch up after a late wake-up
    without ever putting more than the limit into any second.
    """

    def __init__(self, per_second: float, per_chat_interval: float,
                 now: Callable[[], float] = time.monotonic, window: float = 1.02) -> None:
        self.per_second = per_second
        self.limit = max(1, int(per_second))  # per window: a window a little over 1 s keeps a margin
        self.window = window
        self.per_chat = per_chat_interval
        self.now = now
        self.sent: deque[float] = deque()
        self.paused_until = 0.0
        self.next_chat: dict[int, float] = {}

    def global_ready(self) -> float:
        now = self.now()
        while self.sent and now - self.sent[0] >= self.window:
            self.sent.popleft()
        ready = self.paused_until
        if len(self.sent) >= self.limit:
            ready = max(ready, self.sent[0] + self.window)
        return ready

    def ready_at(self, chat_id: int) -> float:
        return max(self.global_ready(), self.next_chat.get(chat_id, 0.0))

    def taken(self, chat_id: int) -> None:
        now = self.now()
        self.sent.append(now)
        self.next_chat[chat_id] = max(now, self.next_chat.get(chat_id, 0.0)) + self.per_chat

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, self.now() + seconds)
