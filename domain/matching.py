"""Ranking commissioners for an enterprise's technical need (two-way selection, Yangquan 第十四条;
Jincheng 第七–八条). Pure: the texts in, a ranked list with its reasons out.

Chinese text is segmented with jieba (search mode, so 耐火材料 also yields 耐火 and 材料); single
characters and common function words do not count as shared terms.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

import jieba

jieba.setLogLevel(logging.WARNING)

# Words that appear in any need or profile and say nothing about the speciality.
STOPWORDS = frozenset("""需要 需求 问题 企业 公司 有限公司 技术 相关 进行 提供 帮助 希望 我们 开展 方面 工作 服务
提升 提高 解决 研究 应用 以及 包括 主要 专业 领域 能力 情况 目前 存在 如何 一些 """.split())

WEIGHT_TERM = 10.0  # per shared term (longer terms count more, see _term_weight)
WEIGHT_COUNTY = 8.0  # the commissioner works in the need's county
WEIGHT_FREE = 6.0  # full capacity left; scaled by the share still free


@lru_cache(maxsize=4096)
def terms(text: str) -> frozenset[str]:
    return frozenset(w.strip().lower() for w in jieba.cut_for_search(text or "")
                     if len(w.strip()) >= 2 and w.strip() not in STOPWORDS and not w.strip().isdigit())


def _term_weight(term: str) -> float:
    return 1.0 + 0.25 * (len(term) - 2)  # 耐火材料 (4) outweighs 材料 (2)


@dataclass(frozen=True)
class Candidate:
    code: str
    name: str
    expertise: str  # fields and keywords, as the commissioner or bureau wrote them
    county: str | None
    load: int  # current active agreements
    capacity: int  # enterprises they can serve
    applicant: bool = False  # not yet a commissioner: selected for the first time
    id: int | None = None  # the stored commissioner's id, when the candidate was read from storage


@dataclass(frozen=True)
class Match:
    candidate: Candidate
    score: float
    shared: tuple[str, ...]  # shared terms, most telling first
    same_county: bool
    free: int  # places left

    @property
    def full(self) -> bool:
        return self.free <= 0


def rank(need_text: str, need_county: str | None, candidates: list[Candidate], limit: int = 10) -> list[Match]:
    """Candidates with at least one shared term, best first (ties: fewer current enterprises, code).
    Commissioners at capacity are listed after the others, so the bureau still sees them."""
    wanted = terms(need_text)
    out = []
    for c in candidates:
        shared = sorted(wanted & terms(c.expertise), key=lambda w: (-_term_weight(w), w))
        if not shared:
            continue
        free = c.capacity - c.load
        score = (WEIGHT_TERM * sum(_term_weight(w) for w in shared)
                 + (WEIGHT_COUNTY if need_county and c.county == need_county else 0.0)
                 + WEIGHT_FREE * max(free, 0) / max(c.capacity, 1))
        out.append(Match(c, round(score, 2), tuple(shared), bool(need_county and c.county == need_county), free))
    out.sort(key=lambda m: (m.full, -m.score, m.candidate.load, m.candidate.code))
    return out[:limit]
