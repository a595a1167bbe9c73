"""What a table holds (units, enterprises, commissioners…), decided by its headers. Pure.

The headers decide, not the file's name: `comm-unknown-unit.csv` holds commissioners. Some kinds
cannot be told apart by headers alone (applicants have the commissioners' columns; a plain
"编号, 名称" fits units and enterprises): then the file or sheet name breaks the tie, and when it
names none of the tied kinds the operator is asked to say (`--kind`) rather than Tepai guessing.
An explicit kind always wins; the importer handles that before asking here.
"""
from __future__ import annotations

from domain.records import KIND_ORDER, Kind, has_required_columns, header_row, map_headers, norm_header

# File and sheet names that say a kind (a tie-break only).
KIND_ALIASES: dict[Kind, tuple[str, ...]] = {
    Kind.UNITS: ("units", "unit", "派出单位", "单位"),
    Kind.ENTERPRISES: ("enterprises", "enterprise", "企业", "派驻单位", "入驻企业", "服务对象"),
    # 企业需求 would otherwise be read as enterprises (it starts with 企业).
    Kind.NEEDS: ("needs", "need", "技术需求", "需求", "企业需求", "企业技术需求"),
    Kind.COMMISSIONERS: ("commissioners", "commissioner", "特派员", "科技特派员"),
    Kind.APPLICANTS: ("applicants", "applicant", "申报人员", "候选人", "报名人员", "科技特派员申报",
                      "特派员申报", "申报"),
    Kind.AGREEMENTS: ("agreements", "agreement", "协议", "服务协议", "派驻协议"),
    Kind.OPINIONS: ("opinions", "opinion", "考核意见", "意见", "县区意见", "派驻单位评价", "意见与评价"),
}


class AmbiguousKind(ValueError):
    """The headers fit several kinds equally well and the name names none of them."""

    def __init__(self, candidates: tuple[Kind, ...]) -> None:
        super().__init__(", ".join(candidates))
        self.candidates = candidates


def kind_from_name(name: str) -> Kind | None:
    """A kind from a file or sheet name: an exact alias first, then the longest alias it contains
    at either end ('派驻单位' is enterprises, though it ends with the units alias '单位')."""
    key = norm_header(name)
    aliases = sorted(((norm_header(a), kind) for kind, names in KIND_ALIASES.items() for a in names),
                     key=lambda pair: -len(pair[0]))
    for alias, kind in aliases:
        if key == alias:
            return kind
    for alias, kind in aliases:
        if key.startswith(alias) or key.endswith(alias):
            return kind
    return None


def kinds_from_headers(headers: list[object]) -> tuple[Kind, ...]:
    """The kinds whose required columns are all present and that recognise the most columns:
    several when they tie, none when no kind has its required columns."""
    scores = {kind: len(map_headers(kind, headers)[0]) for kind in KIND_ORDER if has_required_columns(kind, headers)}
    top = max(scores.values(), default=0)
    return tuple(kind for kind, score in scores.items() if score == top)


def table_headers(rows: list[list[object]]) -> list[object]:
    """The header row of a table of unknown kind: the first of its first rows that some kind's
    headers fit, below any title (see domain.records.header_row); [] for a blank table."""
    at = header_row(rows, lambda headers: bool(kinds_from_headers(headers)))
    return rows[at] if at is not None else []


def kind_of_table(headers: list[object], name: str) -> Kind | None:
    """The kind of a table with these headers, named `name` (file stem or sheet title).

    The headers decide; among kinds they fit equally, the name; raises AmbiguousKind when the
    name names none of them. When the headers fit no kind, the name's kind (whose missing columns
    the sheet check then names), or None."""
    named = kind_from_name(name)
    candidates = kinds_from_headers(headers) if any(norm_header(h) for h in headers) else ()
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        return named
    if named in candidates:
        return named
    raise AmbiguousKind(candidates)
