"""City and grade words of the presets, to check that a text rendered under one policy never
speaks of another city (tests/test_policy_texts.py, tests/test_outputs.py)."""
from __future__ import annotations

import re

from domain.policy import PRESETS, Policy, load_policy

POLICIES = {key: load_policy(key) for key in PRESETS}


def city_words(policy: Policy, keys: bool = True) -> set[str]:
    """What names this city or its grades: the city (with and without 市), the policy's titles,
    each grade's names (and its key, as typed in /grade)."""
    words = {policy.city_zh, policy.city_zh.removesuffix("市"), policy.city_en, policy.title_zh, policy.title_en}
    for grade in policy.grades:
        words |= {grade.zh, grade.en} | ({grade.key} if keys else set())
    return words


def found_words(text: str, words: set[str]) -> list[str]:
    hits = []
    for word in words:
        pattern = rf"\b{re.escape(word)}\b" if word.isascii() else re.escape(word)
        if re.search(pattern, text):
            hits.append(word)
    return sorted(hits)


def foreign_words(policy: Policy) -> set[str]:
    """The other presets' city and grade words this policy does not use itself."""
    others = set().union(*(city_words(p) for key, p in POLICIES.items() if key != policy.key))
    return others - city_words(policy)
