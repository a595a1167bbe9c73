"""Results kept until the data changes (`ConsoleRepo.data_version`): a province's year takes
long to count or assess, and it changes far less often than a page is opened. One cache per
console process, passed in (web.context.Console)."""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from storage.repositories import Repos


class VersionedCache:
    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._kept: OrderedDict[Hashable, tuple[tuple, Any]] = OrderedDict()

    async def get(self, repos: Repos, key: Hashable, compute: Callable[[], Awaitable[Any]]) -> Any:
        version = await repos.console.data_version()
        kept = self._kept.get(key)
        if kept is not None and kept[0] == version:
            self._kept.move_to_end(key)
            return kept[1]
        value = await compute()
        self._kept[key] = (version, value)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return value
