"""Texts of the assessment that name a grade: the words come from the policy (优秀/合格/不合格 in
Yangquan, 优秀/称职/不称职 in Jincheng), the sentence around them from the catalogue."""
from __future__ import annotations

from domain.policy import Policy
from locales import Translator


def grade_words(policy: Policy, lang: str) -> dict[str, str]:
    """The top, middle and lowest grade's names, for the catalogue's {top}, {middle}, {lowest}."""
    return {"top": policy.grades[0].text(lang), "middle": policy.grades[1].text(lang),
            "lowest": policy.grades[-1].text(lang)}


def basis(t: Translator, policy: Policy, reason: str) -> str:
    """Why a grade was proposed (domain.scoring.Graded.reason), in the policy's grade words."""
    return t(f"assess.reason_{reason}", **grade_words(policy, t.lang))


def failures_heading(t: Translator, policy: Policy) -> str:
    return t("assess.col_failures", **grade_words(policy, t.lang))


def outcome_question(t: Translator, policy: Policy) -> str:
    """What kind of outcome, citing the policy's article that lists them when it has one."""
    if not policy.outcome_article:
        return t("outcome.ask_kind")
    return t("outcome.ask_kind_cited", title=policy.title(t.lang), article=policy.outcome_article)
