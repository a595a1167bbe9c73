"""The import rule of docs/architecture.md, checked over the source (no database, no imports run):
which room may import which of ours, which libraries a room may not use, and no import cycle.

An import inside `if TYPE_CHECKING:` only names a type for an annotation and is not counted."""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from testkit.databases import ROOT

ROOMS = ("bot", "handlers", "web", "keyboards", "messages", "services", "scheduler", "storage", "domain", "locales",
         "testkit", "tests", "bench")

# Which of our rooms each room may import (itself always). `bot` is the composition root.
MAY_IMPORT: dict[str, set[str]] = {
    "domain": set(),
    "locales": set(),
    "storage": {"domain"},
    "keyboards": {"domain", "locales"},
    "messages": {"keyboards", "domain", "storage", "locales"},
    "services": {"messages", "domain", "storage", "locales"},
    "scheduler": {"services", "messages", "domain", "storage", "locales"},
    "handlers": {"bot", "keyboards", "messages", "services", "domain", "storage", "locales"},
    "web": {"messages", "services", "domain", "storage", "locales"},
    "bot": {"handlers", "web", "keyboards", "messages", "services", "scheduler", "domain", "storage", "locales"},
    "testkit": set(ROOMS) - {"tests", "bench"},
    "bench": set(ROOMS) - {"tests"},
    "tests": set(ROOMS) - {"bench"},
}
# Finer lines inside the rooms above: (room, module prefix it may not import, why).
FORBIDDEN: list[tuple[str, str, str]] = [
    ("domain", "aiogram", "domain is pure rules"),
    ("domain", "sqlalchemy", "domain is pure rules"),
    ("services", "aiogram", "services are called alike by handlers, the CLI and the scheduler"),
    ("handlers", "storage.models", "handlers speak to services and repositories, not to the tables"),
    ("handlers", "sqlalchemy", "handlers speak to services and repositories, not to the tables"),
    ("handlers", "messages.notices", "handlers queue no messages: the use case they call does"),
    ("handlers", "bot.", "handlers use only the chat kit of bot/: bot.filters, bot.commands, bot.replies"),
    ("web", "storage.models", "the console's pages speak to services and repositories, not to the tables"),
]
BOT_KIT = ("bot.filters", "bot.commands", "bot.replies")  # the exception to the last line above


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, dotted
    target: str  # the imported module (ours resolved to a module or package; others as written)
    line: int

    def __str__(self) -> str:
        return f"{self.source}:{self.line} imports {self.target}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def our_modules() -> dict[str, Path]:
    return {module_name(p): p for room in ROOMS for p in (ROOT / room).rglob("*.py")
            if ".venv" not in p.parts}


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    typing_only = _type_checking_lines(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found += [Import(name, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append(Import(name, sub if sub in modules else base, node.lineno))
    return found


def all_imports() -> list[Import]:
    modules = our_modules()
    return [imp for name, path in sorted(modules.items()) for imp in imports_of(name, path, modules)]


def room_of(module: str) -> str:
    return module.split(".")[0]


def rule_breaks(imports: list[Import]) -> list[str]:
    breaks = []
    for imp in imports:
        source, target = room_of(imp.source), room_of(imp.target)
        if target in ROOMS and target != source and target not in MAY_IMPORT[source]:
            breaks.append(f"{imp}: {source} may not import {target}")
        for room, prefix, why in FORBIDDEN:
            if source == room and (imp.target == prefix.rstrip(".") or imp.target.startswith(prefix.rstrip(".") + ".")
                                   or imp.target.startswith(prefix)) \
                    and not (prefix == "bot." and imp.target.startswith(BOT_KIT)):
                breaks.append(f"{imp}: {why}")
    return breaks


def cycles(imports: list[Import]) -> list[list[str]]:
    """Every strongly connected group of our modules (Tarjan), as a sorted list of names."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        if room_of(imp.target) in ROOMS and imp.target != imp.source:
            graph.setdefault(imp.source, set()).add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_every_import_keeps_the_rule() -> None:
    assert rule_breaks(all_imports()) == []


def test_no_import_cycles() -> None:
    assert cycles(all_imports()) == []


def test_the_check_catches_what_it_should(tmp_path: Path) -> None:
    """The rule is not vacuous: each kind of break is reported."""
    made = [Import("domain.x", "storage.models", 1), Import("storage.repositories.x", "services.y", 2),
            Import("services.x", "aiogram.types", 3), Import("services.x", "scheduler.jobs", 4),
            Import("services.x", "handlers.visit", 5), Import("services.x", "bot.settings", 6),
            Import("messages.x", "services.outbox", 7), Import("keyboards.x", "services.y", 8),
            Import("handlers.x", "storage.models", 9), Import("testkit.x", "tests.test_bot_visit", 10),
            Import("handlers.x", "bot.settings", 11), Import("handlers.x", "messages.notices", 12)]
    assert len(rule_breaks(made)) == len(made)
    assert rule_breaks([Import("handlers.x", "bot.filters", 1), Import("handlers.x", "storage.repositories", 2),
                        Import("services.x", "messages.notices", 3), Import("bot.factory", "handlers", 4)]) == []
    assert cycles([Import("scheduler.jobs", "scheduler.runtime", 1), Import("scheduler.runtime", "scheduler.jobs", 2)]) \
        == [["scheduler.jobs", "scheduler.runtime"]]
