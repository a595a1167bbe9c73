"""Pure rules of a technical need filed in the bot (domain/needs.py), and its texts."""
from __future__ import annotations

import pytest

from domain import needs as rules
from domain.selection import NEED_STATUSES, URGENCIES
from locales import catalogue

FULL = {"field": "耐火材料", "description": "回转窑耐火砖三个月就剥落，停窑检修频繁。", "help": "现场指导",
        "urgency": "high", "files": [{"id": 1}], "files_done": True}


@pytest.mark.parametrize(("part", "text", "problem"), [
    ("field", "窑", "short"),
    ("field", "  窑 ", "short"),  # trimmed first
    ("field", "窑炉", None),
    ("field", "材" * 60, None),
    ("field", "材" * 61, "long"),
    ("description", "太忙了", "short"),
    ("description", "问" * 10, None),
    ("description", "问" * 2000, None),
    ("description", "问" * 2001, "long"),
    ("help", "指导", None),
    ("help", "", "short"),
    ("help", None, "short"),
    ("help", "帮" * 1001, "long"),
])
def test_text_limits(part, text, problem):  # noqa: ANN001
    assert rules.text_problem(part, text) == problem


def test_clean_trims_and_unifies_line_ends():
    assert rules.clean("  第一行\r\n第二行 \n") == "第一行\n第二行"
    assert rules.clean(None) == ""


def test_need_problem_names_the_first_wrong_part():
    ok = ("耐火材料", "回转窑耐火砖三个月就剥落，停窑检修频繁。", "现场指导", "normal", 0)
    assert rules.need_problem(*ok) is None
    assert rules.need_problem("窑", *ok[1:]) == "field_short"
    assert rules.need_problem(ok[0], "短", *ok[2:]) == "description_short"
    assert rules.need_problem(*ok[:2], "帮" * 1001, *ok[3:]) == "help_long"
    assert rules.need_problem(*ok[:3], "urgent", 0) == "urgency"
    assert rules.need_problem(*ok[:4], rules.MAX_FILES) is None
    assert rules.need_problem(*ok[:4], rules.MAX_FILES + 1) == "files_many"


def test_next_step_walks_the_questions_in_order():
    draft: dict = {"files": [], "files_done": False}
    seen = []
    for step, value in (("field", "耐火材料"), ("description", "问" * 12), ("help", "指导"), ("urgency", "low")):
        assert rules.next_step(draft) == step
        seen.append(step)
        draft[step] = value
    assert rules.next_step(draft) == "files"  # optional, but asked: skipping says so
    draft["files_done"] = True
    assert rules.next_step(draft) is None
    assert seen + ["files"] == list(rules.STEPS)


def test_forget_asks_one_part_again_and_keeps_the_rest():
    again = rules.forget(FULL, "description")
    assert rules.next_step(again) == "description"
    assert again["field"] == FULL["field"] and again["files"] == FULL["files"]
    assert FULL["description"]  # the original draft is untouched
    files = rules.forget(FULL, "files")
    assert (files["files"], files["files_done"], rules.next_step(files)) == ([], False, "files")
    with pytest.raises(ValueError):
        rules.forget(FULL, "enterprise")


def test_files_full_at_the_limit():
    assert not rules.files_full(rules.MAX_FILES - 1)
    assert rules.files_full(rules.MAX_FILES)


@pytest.mark.parametrize(("status", "own", "bureau", "problem"), [
    ("open", True, False, None),
    ("open", False, True, None),
    ("open", False, False, "not_allowed"),
    ("closed", True, False, "not_open"),
    ("matched", True, True, "not_open"),
    ("closed", False, False, "not_allowed"),  # a stranger learns nothing about the need's status
])
def test_who_may_close(status, own, bureau, problem):  # noqa: ANN001
    assert rules.close_problem(status, own_contact=own, bureau=bureau) == problem


def test_every_key_built_at_run_time_has_a_text():
    for lang in ("zh", "en"):
        texts = catalogue(lang)
        wanted = [f"need.urgency.{u}" for u in URGENCIES] + [f"need.urgency_button.{u}" for u in URGENCIES]
        wanted += [f"need.status.{s}" for s in NEED_STATUSES]
        wanted += [f"need.part.{p}" for p in rules.EDITABLE] + [f"need.ask_{p}" for p in rules.LIMITS]
        wanted += [f"need.error_{p}" for p in ("short", "long", "not_contact", "invalid", "unknown", "not_allowed",
                                              "not_open")]
        wanted += [f"need.upload_{r}" for r in ("too_big", "not_image", "too_many_pixels", "corrupt",
                                               "not_document")]
        assert [key for key in wanted if key not in texts] == [], lang
