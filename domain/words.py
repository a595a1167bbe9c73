"""The words an admin may type for a policy's choices: its key (`pass`), its Chinese label (合格)
or its English one (Pass), any case. Chinese admins need not type English."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from domain.policy import Label
from domain.roles import Role

# Chinese words for the invite kinds (the roles' own names and the short forms people use).
ROLE_WORDS: Mapping[str, Role] = {
    "科技特派员": Role.COMMISSIONER, "特派员": Role.COMMISSIONER,
    "企业": Role.ENTERPRISE, "企业联系人": Role.ENTERPRISE,
    "派出单位": Role.UNIT, "派出单位联系人": Role.UNIT, "单位": Role.UNIT,
    "县区": Role.COUNTY, "县（区）": Role.COUNTY, "县": Role.COUNTY, "区": Role.COUNTY,
    "市科技局": Role.BUREAU, "科技局": Role.BUREAU, "市科学技术局": Role.BUREAU,
}

# /record VISIT confirm|dispute: the enterprise's answer.
ANSWER_WORDS: Mapping[str, str] = {
    "confirm": "confirm", "属实": "confirm", "确认": "confirm",
    "dispute": "dispute", "不属实": "dispute", "异议": "dispute",
}


def _norm(word: str) -> str:
    return word.strip().casefold()


def label_key(labels: Iterable[Label], word: str) -> str | None:
    """The key of the label `word` names (key, Chinese or English), or None."""
    wanted = _norm(word)
    return next((label.key for label in labels if wanted in (_norm(label.key), _norm(label.zh), _norm(label.en))),
                None)


def role_of(word: str) -> Role | None:
    wanted = _norm(word)
    if wanted in {r.value for r in Role}:
        return Role(wanted)
    return ROLE_WORDS.get(word.strip())


def answer_of(word: str) -> str | None:
    return ANSWER_WORDS.get(_norm(word))
