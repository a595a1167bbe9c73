"""What `tepai demo` writes under each preset (roster, weekly and monthly digests, dossiers), read
back as text: each speaks of its own city and grades and never of the other preset's."""
from __future__ import annotations

import asyncio
import re
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from domain.clock import FrozenClock
from domain.policy import PRESETS, Policy, load_policy
from locales import Translator
from services.demo import build_demo, demo_steps
from testkit.policy_words import foreign_words, found_words

DEMO_NOW = datetime(2026, 12, 3, 2, 0, tzinfo=timezone.utc)  # Thursday 3 December, 10:00 in Shanghai


@dataclass
class DemoOutputs:
    policy: Policy
    folder: Path
    files: list[Path]
    steps: int  # how often it reported a step done (tepai demo's progress bar)


@pytest.fixture(scope="module", params=PRESETS)
def demo(request, tmp_path_factory) -> DemoOutputs:  # noqa: ANN001
    """The demo, built once per preset for this module (it seeds a year: tens of seconds)."""
    policy = load_policy(request.param)
    folder = tmp_path_factory.mktemp(f"demo-{policy.key}")
    steps: list[None] = []
    result = asyncio.run(build_demo(folder, "tepai_demo_bot", Translator("zh"), policy, ZoneInfo("Asia/Shanghai"),
                                    clock=FrozenClock(DEMO_NOW), step=lambda: steps.append(None)))
    files = [Path(line.strip()) for line in result.lines if line.strip().startswith(str(folder))]
    return DemoOutputs(policy, folder, files, len(steps))


def text_of(path: Path) -> str:
    if path.suffix == ".pdf":
        return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True,
                              timeout=120).stdout.decode("utf-8")
    if path.suffix == ".xlsx":
        workbook = load_workbook(path)
        return "\n".join(" ".join(str(v) for v in row if v is not None)
                         for sheet in workbook for row in sheet.iter_rows(values_only=True))
    return path.read_text("utf-8")


def test_each_output_speaks_of_its_own_city_and_grades(demo: DemoOutputs) -> None:
    kinds = {p.suffix for p in demo.files}
    assert {".xlsx", ".txt", ".pdf", ".html"} <= kinds
    foreign = foreign_words(demo.policy)
    texts = {p.name: text_of(p) for p in demo.files}
    found = {name: found_words(text, foreign) for name, text in texts.items()}
    assert {name: words for name, words in found.items() if words} == {}
    # A catalogue text rendered without its values would show its placeholder ("得分达到{top}线").
    placeholders = {name: re.findall(r"\{[a-z_]+\}", text) for name, text in texts.items()}
    assert {name: found for name, found in placeholders.items() if found} == {}
    roster = text_of(next(p for p in demo.files if p.suffix == ".xlsx"))
    assert demo.policy.city_zh.removesuffix("市") in roster  # the demo's enterprises are the city's
    assert {g.zh for g in demo.policy.grades[:2]} <= set(roster.split())


def test_the_demo_reports_every_step_its_progress_bar_counts(demo: DemoOutputs) -> None:
    """`tepai demo` draws a bar of demo_steps() steps (on a terminal): it must reach the end."""
    assert demo.steps == demo_steps()
