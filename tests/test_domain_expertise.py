"""The expertise profile's rules, pure: what a commissioner may type for fields, keywords, capacity."""
from __future__ import annotations

import pytest

from domain.expertise import (
    CAPACITY_RANGE,
    PROFILE_FIELDS,
    TEXT_MAX,
    clean_text,
    editable,
    parse_capacity,
    problem,
    text_problem,
    value,
)


def test_fields() -> None:
    assert PROFILE_FIELDS == ("expertise", "keywords", "capacity")
    assert CAPACITY_RANGE == (1, 50)


@pytest.mark.parametrize(("text", "cleaned"), [
    ("  耐火材料、无机非金属材料 \n", "耐火材料、无机非金属材料"),
    ("窑炉节能\n\n耐火砖   检测", "窑炉节能 耐火砖 检测"),
    ("", ""),
    (None, ""),
])
def test_clean_text(text, cleaned) -> None:  # noqa: ANN001
    assert clean_text(text) == cleaned


@pytest.mark.parametrize(("text", "found"), [
    ("煤化工", None),
    ("化工", None),  # two characters are enough
    ("  化工  ", None),  # counted after stripping
    ("耐火材料，无机非金属材料;窑炉、节能；检测,分析", None),  # any of the list separators
    ("化", "too_short"),
    ("  化 \n", "too_short"),
    ("", "too_short"),
    (None, "too_short"),
    ("，、", "too_short"),  # separators only
    ("化、", "too_short"),
    ("字" * TEXT_MAX, None),
    ("字" * (TEXT_MAX + 1), "too_long"),
    ("  " + "字" * TEXT_MAX + "  ", None),
])
def test_text_problem(text, found) -> None:  # noqa: ANN001
    assert text_problem(text) == found


@pytest.mark.parametrize(("text", "number"), [
    ("3", 3), (" 12 ", 12), ("３", 3), ("5家", 5), ("5 个", 5), ("0", 0), ("51", 51),
    ("", None), (None, None), ("三", None), ("3.5", None), ("-2", None), ("3 到 5", None), ("abc", None),
])
def test_parse_capacity(text, number) -> None:  # noqa: ANN001
    assert parse_capacity(text) == number


@pytest.mark.parametrize(("field", "text", "found"), [
    ("capacity", "1", None),
    ("capacity", "50", None),
    ("capacity", "0", "out_of_range"),
    ("capacity", "51", "out_of_range"),
    ("capacity", "很多", "not_number"),
    ("capacity", "2.5", "not_number"),
    ("expertise", "耐火材料", None),
    ("keywords", "节", "too_short"),
    ("keywords", "窑炉节能", None),
    ("title", "教授", "field"),
])
def test_problem(field, text, found) -> None:  # noqa: ANN001
    assert problem(field, text) == found


def test_value() -> None:
    assert value("capacity", " ５家 ") == 5
    assert value("expertise", "  耐火材料，\n 无机非金属材料 ") == "耐火材料， 无机非金属材料"
    with pytest.raises(ValueError):
        value("capacity", "0")
    with pytest.raises(ValueError):
        value("keywords", "x")


def test_editable() -> None:
    assert editable("active") and editable("applicant")
    assert not editable("disqualified")
