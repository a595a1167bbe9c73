"""An enterprise's technical need (技术需求) as filed in the bot: what each answer must be, the order
of the questions, and who may withdraw a need.

A draft is a plain mapping (it lives in the FSM data): `field`, `description`, `help`, `urgency`,
`files` (stored file ids) and `files_done`. Editing a part from the summary card is "forget it and
ask the next missing step", as with visits.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.selection import NEED_STATUSES, URGENCIES

# (min, max) characters after trimming, per typed part.
LIMITS: dict[str, tuple[int, int]] = {
    "field": (2, 60),  # 技术领域, e.g. 耐火材料、智能装备
    "description": (10, 2000),  # the problem
    "help": (2, 1000),  # the help expected
}
MAX_FILES = 5
STEPS: tuple[str, ...] = ("field", "description", "help", "urgency", "files")  # after the enterprise
EDITABLE: tuple[str, ...] = STEPS
OPEN, MATCHED, CLOSED = NEED_STATUSES


def clean(text: str | None) -> str:
    """The answer as stored: trimmed, with Windows line ends made plain."""
    return (text or "").replace("\r\n", "\n").strip()


def text_problem(part: str, text: str | None) -> str | None:
    """"short" or "long" when a typed part is outside its limits; None when it may be kept."""
    low, high = LIMITS[part]
    size = len(clean(text))
    if size < low:
        return "short"
    if size > high:
        return "long"
    return None


def need_problem(field: str, description: str, expected_help: str, urgency: str, file_count: int) -> str | None:
    """What is wrong with a need as a whole, as a short key (`field_short`, `urgency`, `files_many` …);
    None when it may be filed."""
    for part, text in (("field", field), ("description", description), ("help", expected_help)):
        if (problem := text_problem(part, text)) is not None:
            return f"{part}_{problem}"
    if urgency not in URGENCIES:
        return "urgency"
    if not 0 <= file_count <= MAX_FILES:
        return "files_many"
    return None


def next_step(draft: Mapping[str, Any]) -> str | None:
    """The first question the draft has no answer to; None when the summary card comes next."""
    for step in STEPS:
        if step == "files":
            if not draft.get("files_done"):
                return step
        elif not draft.get(step):
            return step
    return None


def forget(draft: dict[str, Any], part: str) -> dict[str, Any]:
    """The draft without one part, to ask it again (files start over)."""
    if part not in EDITABLE:
        raise ValueError(f"not a part of a need: {part}")
    out = dict(draft)
    if part == "files":
        out["files"], out["files_done"] = [], False
    else:
        out.pop(part, None)
    return out


def files_full(count: int) -> bool:
    return count >= MAX_FILES


def close_problem(status: str, *, own_contact: bool, bureau: bool) -> str | None:
    """Why a need cannot be withdrawn (`not_allowed`, `not_open`); None when it can. Only the
    enterprise's own contact, or a bureau admin, closes a need, and only while it is open."""
    if not (own_contact or bureau):
        return "not_allowed"
    if status != OPEN:
        return "not_open"
    return None
