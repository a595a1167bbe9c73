"""Dossiers for many commissioners, one after another in this process: `tepai dossier --jobs 1`
runs it, and so does every worker of `tepai dossier --jobs N` (bot/dossier_pool.py) on its share.

Memory stays that of one dossier however many are made: each dossier reads its rows in a session of
its own, closed before the next (one long session kept every visit, file and feedback row of the
cohort in its identity map), and its HTML and PDF go to disk, not into a list. One font set-up
serves the whole run. A dossier that fails is reported with its commissioner's code and the rest
go on."""
from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from domain.policy import Policy
from locales import Translator
from services.assessment import Assessment
from services.dossier import build, pdf_fonts, write_dossier
from storage.db import one_line
from storage.evidence_store import EvidenceStore
from storage.repositories import Repos


@dataclass(frozen=True)
class Rendered:
    code: str
    error: str | None = None  # the failure in one line; None: its HTML and PDF are written


@dataclass(frozen=True)
class Batch:
    """What every dossier of one run shares (sent once to each worker process)."""
    policy: Policy
    lang: str
    assessment: Assessment
    generated: datetime
    out: Path
    map_tiles: str | None = None


async def render_each(sessionmaker, store: EvidenceStore, batch: Batch,  # noqa: ANN001 - an async_sessionmaker
                      codes: Iterable[str]) -> AsyncIterator[Rendered]:
    t = Translator(batch.lang)
    fonts = pdf_fonts()  # used on this thread only: the PDF is made here, not in a thread pool
    for code in codes:
        try:
            async with sessionmaker() as session:
                dossier = await build(Repos(session), batch.policy, store, t, batch.assessment, code,
                                      batch.generated, map_tiles=batch.map_tiles)
            write_dossier(batch.out, dossier, fonts)  # the loop has nothing else to do meanwhile
        except Exception as exc:  # noqa: BLE001 - any one dossier's failure is reported, the rest go on
            yield Rendered(code, f"{type(exc).__name__}: {one_line(exc)}")
            continue
        yield Rendered(code)
