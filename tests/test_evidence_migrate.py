"""`tepai evidence migrate --to s3://…`: a directory store into a bucket on a real S3-compatible
server (moto on loopback), every object read back and its SHA-256 checked; resumable."""
from __future__ import annotations

import hashlib

import pytest

from bot.cli import main
from storage.blobs import S3Blobs
from storage.evidence_store import EvidenceStore, original_key
from testkit.images import PDF, jpeg


@pytest.fixture
def folder(tmp_path):  # noqa: ANN001, ANN201
    """A directory store with two photos (original and thumbnail each) and a document."""
    store = EvidenceStore(tmp_path / "data" / "evidence")
    photos = [store.put_image(jpeg(n)) for n in (1, 2)]
    doc = store.put_document(PDF, "纪要.pdf")
    return store, photos, doc


def _migrate(monkeypatch, tmp_path, moto_s3, url: str, capsys) -> tuple[int, str, str]:  # noqa: ANN001
    for name, value in moto_s3.env(url).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TEPAI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TEPAI_LANGUAGE", "en")
    monkeypatch.delenv("TEPAI_EVIDENCE_URL")  # the folder is the default store; the bucket the target
    code = main(["evidence", "migrate", "--to", url])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_folder_goes_into_a_bucket_verified_and_a_second_run_skips_it(monkeypatch, tmp_path, moto_s3, folder,
                                                                        capsys) -> None:
    store, photos, doc = folder
    bucket = moto_s3.new_bucket()
    url = f"s3://{bucket}/prod/evidence"
    code, out, err = _migrate(monkeypatch, tmp_path, moto_s3, url, capsys)
    assert code == 0, err
    assert "5 files: 5 copied, 0 already there and verified, 0 mismatched" in out
    target = EvidenceStore(S3Blobs(bucket, "prod/evidence", moto_s3.access))
    assert sorted(target.blobs.keys()) == sorted(store.blobs.keys())
    for key in store.blobs.keys():
        assert hashlib.sha256(target.blobs.get(key)).digest() == hashlib.sha256(store.blobs.get(key)).digest()
    assert target.original(doc.sha256, "pdf") == PDF
    assert target.thumbnail(photos[0].sha256) == photos[0].thumbnail_jpeg

    # More stored since, and one object in the bucket damaged: only those two are written.
    store.put_image(jpeg(3))
    target.blobs.put(original_key(doc.sha256, "pdf"), b"damaged", replace=True)
    code, out, _ = _migrate(monkeypatch, tmp_path, moto_s3, url, capsys)
    assert code == 0
    assert "7 files: 3 copied, 4 already there and verified, 0 mismatched" in out
    assert target.original(doc.sha256, "pdf") == PDF


def test_a_damaged_source_file_is_reported_not_copied_and_exits_1(monkeypatch, tmp_path, moto_s3, folder,
                                                                   capsys) -> None:
    store, _, doc = folder
    (store.root / original_key(doc.sha256, "pdf")).write_bytes(b"%PDF-1.4 bit rot")
    bucket = moto_s3.new_bucket()
    code, out, err = _migrate(monkeypatch, tmp_path, moto_s3, f"s3://{bucket}/ev", capsys)
    assert code == 1
    assert f"{original_key(doc.sha256, 'pdf')}: the file in" in err and "does not match its SHA-256" in err
    assert "5 files: 4 copied, 0 already there and verified, 1 mismatched" in out
    assert S3Blobs(bucket, "ev", moto_s3.access).get(original_key(doc.sha256, "pdf")) is None


def test_an_unreachable_bucket_is_one_line_and_exit_1(monkeypatch, tmp_path, moto_s3, folder, capsys) -> None:
    code, _, err = _migrate(monkeypatch, tmp_path, moto_s3, "s3://no-such-bucket/ev", capsys)
    assert code == 1
    assert err.startswith("Cannot write to s3://no-such-bucket/ev:") and len(err.strip().splitlines()) == 1


def test_the_source_must_be_a_folder(monkeypatch, tmp_path, moto_s3, capsys) -> None:
    code, _, err = _migrate(monkeypatch, tmp_path, moto_s3, "s3://whatever/ev", capsys)
    assert code == 2 and "is not an evidence folder" in err


def test_backup_says_that_evidence_in_a_bucket_is_not_in_the_archive(monkeypatch, tmp_path, capsys) -> None:
    import sqlite3

    (tmp_path / "data").mkdir()
    sqlite3.connect(tmp_path / "data" / "tepai.db").close()
    monkeypatch.setenv("TEPAI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TEPAI_LANGUAGE", "en")
    monkeypatch.setenv("TEPAI_EVIDENCE_URL", "s3://tepai-evidence/prod")
    assert main(["backup", str(tmp_path / "backup.tar.gz")]) == 0
    assert "The evidence is in the bucket s3://tepai-evidence/prod and not in this backup" in capsys.readouterr().err


def test_backup_and_restore_take_the_evidence_folder_tepai_evidence_url_names(monkeypatch, tmp_path, capsys) -> None:
    """A folder of its own (TEPAI_EVIDENCE_URL=/srv/…): the bot keeps its photos there, so the
    backup must archive that folder (not the empty default beside the database) and a restore
    must put them back where the bot reads them."""
    import sqlite3
    import tarfile

    (tmp_path / "data").mkdir()
    sqlite3.connect(tmp_path / "data" / "tepai.db").close()
    store = EvidenceStore(tmp_path / "srv" / "evidence")
    photo = store.put_image(jpeg(1))
    monkeypatch.setenv("TEPAI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TEPAI_LANGUAGE", "en")
    monkeypatch.setenv("TEPAI_EVIDENCE_URL", str(store.root))
    archive = tmp_path / "backup.tar.gz"
    assert main(["backup", str(archive)]) == 0
    with tarfile.open(archive) as tar:
        assert f"evidence/{original_key(photo.sha256, 'jpg')}" in tar.getnames()

    elsewhere = tmp_path / "restored"
    monkeypatch.setenv("TEPAI_DATA_DIR", str(elsewhere / "data"))
    monkeypatch.setenv("TEPAI_EVIDENCE_URL", f"file://{elsewhere / 'evidence'}")
    assert main(["restore", str(archive)]) == 0, capsys.readouterr().err
    assert EvidenceStore(elsewhere / "evidence").original(photo.sha256, "jpg") == store.original(photo.sha256, "jpg")
    assert not (elsewhere / "data" / "evidence").exists()


def test_restore_says_that_the_bot_reads_a_bucket(monkeypatch, tmp_path, capsys) -> None:
    import sqlite3

    from storage.backup import backup

    sqlite3.connect(tmp_path / "tepai.db").close()
    backup(tmp_path / "tepai.db", tmp_path / "none", tmp_path / "backup.tar.gz")
    monkeypatch.setenv("TEPAI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TEPAI_LANGUAGE", "en")
    monkeypatch.setenv("TEPAI_EVIDENCE_URL", "s3://tepai-evidence/prod")
    assert main(["restore", str(tmp_path / "backup.tar.gz")]) == 0
    err = capsys.readouterr().err
    assert "the bot reads the bucket s3://tepai-evidence/prod" in err and "tepai evidence migrate --from" in err
