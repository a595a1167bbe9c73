"""An outbox message's documents, ready to send. A document is either evidence, named by its
content address (`{"sha256", "ext", "name"}`) and read through the evidence store (a directory or a
bucket: whichever process sends it reads the same store), or a file this machine made for the
message (`{"path", "name"}`, e.g. a monthly digest). Older rows name evidence by path: still sent."""
from __future__ import annotations

from pathlib import Path

from aiogram.types import BufferedInputFile, FSInputFile, InputFile

from storage.evidence_store import EvidenceStore


class MissingAttachment(FileNotFoundError):
    """A document to send is not there (an evidence file lost or never restored)."""

    def __init__(self, path: str) -> None:
        super().__init__(2, "attachment missing", path)


async def check_present(document: dict, evidence: EvidenceStore | None) -> None:
    """Raises MissingAttachment if the file is gone, without reading it (a file on disk is
    looked at, an object asked for its size); EvidenceUnavailable if the store cannot say now."""
    if "sha256" not in document:
        if not Path(document["path"]).is_file():
            raise MissingAttachment(document["path"])
        return
    if evidence is None or not await evidence.has_original(document["sha256"], document["ext"]):
        raise MissingAttachment(f"{document['sha256']}.{document['ext']}")


async def input_file(document: dict, evidence: EvidenceStore | None) -> InputFile:
    """Raises MissingAttachment if the file is gone; EvidenceUnavailable (an OSError: retried)
    if the store cannot be read now."""
    if "sha256" not in document:
        if not Path(document["path"]).is_file():
            raise MissingAttachment(document["path"])
        return FSInputFile(document["path"], filename=document.get("name"))
    label = f"{document['sha256']}.{document['ext']}"
    data = await evidence.read_original(document["sha256"], document["ext"]) if evidence is not None else None
    if data is None:
        raise MissingAttachment(label)
    return BufferedInputFile(data, filename=document.get("name") or label)
