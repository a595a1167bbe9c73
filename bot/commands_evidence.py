"""`tepai evidence migrate --to s3://bucket/prefix`: the directory store into a bucket."""
from __future__ import annotations

import sys

from bot.settings import Settings
from locales import Translator
from storage.blobs import BadEvidenceUrl, DirectoryBlobs, open_blobs

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
PROGRESS_EVERY = 500  # objects between two progress lines


def migrate(settings: Settings, t: Translator, to: str, source: str | None) -> int:
    from storage.evidence_migrate import migrate as copy_all

    origin = source or str(settings.evidence_folder or settings.evidence_dir)
    try:
        source_blobs, target = open_blobs(origin, settings.s3_access), open_blobs(to, settings.s3_access)
    except BadEvidenceUrl as exc:
        print(t("cli.evidence_bad_url", url=exc), file=sys.stderr)
        return EXIT_USAGE
    if not isinstance(source_blobs, DirectoryBlobs) or not source_blobs.root.is_dir():
        print(t("cli.evidence_not_a_folder", source=origin), file=sys.stderr)
        return EXIT_USAGE

    def progress(done) -> None:  # noqa: ANN001
        if done.total % PROGRESS_EVERY == 0:
            print(t("cli.evidence_progress", done=done.total), file=sys.stderr)

    try:
        result = copy_all(source_blobs, target, progress)
    except Exception as exc:  # noqa: BLE001 - the bucket unreachable or refusing: one line, not a traceback
        print(t("cli.evidence_unreachable", target=target.where, error=f"{type(exc).__name__}: {exc}".splitlines()[0]),
              file=sys.stderr)
        return EXIT_FAILED
    for key, side in result.mismatched:
        print(t(f"cli.evidence_mismatch_{side}", key=key, source=source_blobs.where, target=target.where),
              file=sys.stderr)
    print(t("cli.evidence_migrated", total=result.total, copied=result.copied, present=result.present,
            mismatched=len(result.mismatched), source=source_blobs.where, target=target.where))
    return EXIT_OK if result.ok else EXIT_FAILED
