"""The evidence store: image analysis, rejections and content-addressed storage, on files made on the fly."""
from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from domain.evidence import SAME_PICTURE_BITS, hamming
from domain.uploads import MAX_BYTES, THUMB_MAX, UploadRejected, analyse, document_ext
from storage.evidence_store import EvidenceStore, EvidenceUnavailable, original_key, thumbnail_key
from testkit.images import PDF, jpeg, picture, pixel_bomb, png, truncated_jpeg

TAKEN = datetime(2026, 3, 14, 9, 30, 15)


def _recompressed(data: bytes, size: tuple[int, int], quality: int) -> bytes:
    """The same picture, resized and saved again (as a messenger or an editor would)."""
    out = io.BytesIO()
    Image.open(io.BytesIO(data)).convert("RGB").resize(size, Image.Resampling.LANCZOS).save(out, "JPEG", quality=quality)
    return out.getvalue()


def _gif() -> bytes:
    out = io.BytesIO()
    picture(1).save(out, "GIF")
    return out.getvalue()


def _docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


# --------------------------------------------------------------------------- analyse


def test_analyse_reads_exif_time_and_gps():
    data = jpeg(1, taken=TAKEN, gps=(37.8612, 113.5791))
    facts = analyse(data)
    assert facts.taken_at == TAKEN
    lat, lon = facts.gps
    assert abs(lat - 37.8612) < 1e-4 and abs(lon - 113.5791) < 1e-4


def test_analyse_gps_south_and_west_are_negative():
    facts = analyse(jpeg(2, gps=(-33.8688, -70.6693)))
    lat, lon = facts.gps
    assert abs(lat - -33.8688) < 1e-4 and abs(lon - -70.6693) < 1e-4


def test_analyse_basic_facts():
    data = jpeg(1, taken=TAKEN, size=(640, 480))
    facts = analyse(data)
    assert facts.ext == "jpg"
    assert (facts.width, facts.height) == (640, 480)
    assert facts.size_bytes == len(data)
    assert facts.sha256 == hashlib.sha256(data).hexdigest()
    assert 0 <= facts.phash < 2**64


def test_analyse_png():
    facts = analyse(png(3))
    assert facts.ext == "png"
    assert (facts.width, facts.height) == (640, 480)


@pytest.mark.parametrize("size", [(640, 480), (480, 640), (1600, 1200), (200, 100)])
def test_analyse_thumbnail_is_a_small_jpeg(size):
    facts = analyse(jpeg(4, size=size))
    with Image.open(io.BytesIO(facts.thumbnail_jpeg)) as thumb:
        assert thumb.format == "JPEG"
        assert max(thumb.size) <= THUMB_MAX == 640
        # the aspect ratio is kept (to a pixel)
        assert abs(thumb.size[0] / thumb.size[1] - size[0] / size[1]) < 0.02
    assert (facts.width, facts.height) == size


def test_analyse_large_thumbnail_is_bounded():
    # 1600x1200 decodes at 1/2 (1/4 would be 300 px high, under THUMB_PX), then shrinks to THUMB_MAX.
    facts = analyse(jpeg(4, size=(1600, 1200)))
    with Image.open(io.BytesIO(facts.thumbnail_jpeg)) as thumb:
        assert thumb.size == (THUMB_MAX, 480)


def test_analyse_12_megapixel_thumbnail_is_the_eighth_scale_decode():
    facts = analyse(jpeg(4, size=(4000, 3000), quality=70))
    with Image.open(io.BytesIO(facts.thumbnail_jpeg)) as thumb:
        assert thumb.size == (500, 375)


def test_analyse_large_png_thumbnail_is_bounded():
    from testkit.images import picture

    out = io.BytesIO()
    picture(4, (2400, 1800)).save(out, "PNG")
    with Image.open(io.BytesIO(analyse(out.getvalue()).thumbnail_jpeg)) as thumb:
        assert thumb.size == (THUMB_MAX, 480)


def test_analyse_without_exif():
    facts = analyse(jpeg(3))
    assert facts.taken_at is None
    assert facts.gps is None


def _jpeg_with_exif(tags: dict[int, str], original: str | None = None) -> bytes:
    exif = Image.Exif()
    for tag, value in tags.items():
        exif[tag] = value
    if original is not None:
        exif.get_ifd(0x8769)[0x9003] = original
    out = io.BytesIO()
    picture(1).save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_analyse_falls_back_to_exif_datetime():
    assert analyse(_jpeg_with_exif({0x0132: "2026:03:13 08:00:00"})).taken_at == datetime(2026, 3, 13, 8, 0)


def test_analyse_prefers_datetime_original():
    data = _jpeg_with_exif({0x0132: "2026:03:20 08:00:00"}, original="2026:03:13 07:00:00")
    assert analyse(data).taken_at == datetime(2026, 3, 13, 7, 0)


def test_analyse_malformed_exif_time_is_none():
    assert analyse(_jpeg_with_exif({}, original="yesterday")).taken_at is None


def test_analyse_time_without_gps_and_gps_without_time():
    assert analyse(jpeg(3, taken=TAKEN)).gps is None
    assert analyse(jpeg(3, gps=(37.8, 113.5))).taken_at is None


@pytest.mark.parametrize(("size", "quality"), [((1280, 960), 60), ((320, 240), 50), ((480, 360), 40)])
def test_same_picture_resized_and_recompressed_keeps_its_phash(size, quality):
    original = jpeg(1, quality=95)
    copy = _recompressed(original, size, quality)
    assert copy != original
    assert hamming(analyse(original).phash, analyse(copy).phash) <= SAME_PICTURE_BITS


@pytest.mark.parametrize(("a", "b"), [(1, 2), (1, 3), (2, 5), (4, 6)])
def test_different_pictures_have_distant_phashes(a, b):
    assert hamming(analyse(jpeg(a)).phash, analyse(jpeg(b)).phash) > SAME_PICTURE_BITS


# --------------------------------------------------------------------------- rejections


def _reason(data: bytes) -> str:
    with pytest.raises(UploadRejected) as info:
        analyse(data)
    return info.value.reason


def test_rejects_too_big():
    header = jpeg(1)
    data = header + b"\x00" * (MAX_BYTES + 1 - len(header))
    assert len(data) == MAX_BYTES + 1
    assert _reason(data) == "too_big"


@pytest.mark.parametrize("data", [b"hello, this is not a picture\n" * 10, b"", "走访纪要".encode()])
def test_rejects_text_as_not_image(data):
    assert _reason(data) == "not_image"


def test_rejects_gif_as_not_image():
    assert _reason(_gif()) == "not_image"


def test_rejects_pdf_as_not_image():
    assert _reason(PDF) == "not_image"


def test_rejects_pixel_bomb():
    assert _reason(pixel_bomb()) == "too_many_pixels"


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_rejects_pixel_bomb_below_pillows_own_guard():
    # 12 000 × 11 000 = 132 MP: over MAX_PIXELS, under twice Pillow's limit, so refused by our check.
    assert _reason(pixel_bomb(12_000, 11_000)) == "too_many_pixels"


def test_rejects_truncated_jpeg_as_corrupt():
    assert _reason(truncated_jpeg()) == "corrupt"


def test_upload_rejected_is_a_value_error_with_the_reason():
    exc = UploadRejected("corrupt")
    assert isinstance(exc, ValueError)
    assert exc.reason == str(exc) == "corrupt"


# --------------------------------------------------------------------------- EvidenceStore: images
# Every test below runs against a directory and against a bucket on a real S3-compatible server
# (moto, on loopback): the `evidence_blobs` fixture.


def _keys(store: EvidenceStore, under: str = "") -> list[str]:
    return sorted(k for k in store.blobs.keys() if k.startswith(under))


def test_put_image_stores_original_and_thumbnail(evidence_blobs):
    store = EvidenceStore(evidence_blobs)
    data = jpeg(1, taken=TAKEN, gps=(37.8612, 113.5791))
    facts = store.put_image(data)
    assert facts.sha256 == hashlib.sha256(data).hexdigest()
    assert store.original(facts.sha256, facts.ext) == data
    assert original_key(facts.sha256, facts.ext).endswith(f"/{facts.sha256}.jpg")
    assert store.thumbnail(facts.sha256) == facts.thumbnail_jpeg
    assert facts.taken_at == TAKEN


async def test_reads_through_the_store_off_the_loop(evidence_blobs):
    store = EvidenceStore(evidence_blobs)
    data = jpeg(3)
    facts = await store.keep_image(data)
    doc = await store.keep_document(PDF, "纪要.pdf")
    assert await store.read_original(facts.sha256, "jpg") == data
    assert await store.read_thumbnail(facts.sha256) == facts.thumbnail_jpeg
    assert await store.read_original(doc.sha256, "pdf") == PDF
    assert await store.has_original(doc.sha256, "pdf")
    assert await store.read_thumbnails([facts.sha256, "0" * 64, facts.sha256]) == {facts.sha256: facts.thumbnail_jpeg}


async def test_missing_objects_read_as_none(evidence_blobs):
    store = EvidenceStore(evidence_blobs)
    assert await store.read_original("0" * 64, "jpg") is None
    assert await store.read_thumbnail("0" * 64) is None
    assert not await store.has_original("0" * 64, "pdf")


async def test_check_writes_reads_and_deletes_a_probe(evidence_blobs):
    store = EvidenceStore(evidence_blobs)
    await store.check()
    await store.check()
    assert _keys(store) == []  # the probes are gone, and listing never shows them


def test_put_image_png_keeps_png_extension(evidence_blobs):
    store = EvidenceStore(evidence_blobs)
    data = png(2)
    facts = store.put_image(data)
    assert store.original(facts.sha256, "png") == data


def test_put_image_twice_keeps_one_copy(evidence_blobs):
    store = EvidenceStore(evidence_blobs)
    data = jpeg(5)
    first = store.put_image(data)
    second = store.put_image(data)
    assert first.sha256 == second.sha256
    assert _keys(store) == [original_key(first.sha256, "jpg"), thumbnail_key(first.sha256)]


def test_put_image_two_pictures_two_files(evidence_blobs):
    store = EvidenceStore(evidence_blobs)
    a, b = store.put_image(jpeg(1)), store.put_image(jpeg(2))
    assert a.sha256 != b.sha256
    assert len(_keys(store, "originals/")) == 2


def test_put_image_leaves_nothing_in_staging_after_success(tmp_path):
    store = EvidenceStore(tmp_path)
    store.put_image(jpeg(1))
    store.put_image(jpeg(1))  # the duplicate's staged copy is dropped too
    assert _files(tmp_path / "staging") == []


def test_put_image_whose_original_cannot_be_placed_leaves_nothing_in_staging(tmp_path):
    store = EvidenceStore(tmp_path)
    kept = store.put_image(jpeg(1))
    data = jpeg(2)
    sha256 = hashlib.sha256(data).hexdigest()
    assert sha256[:2] != kept.sha256[:2]
    (tmp_path / "originals" / sha256[:2]).write_bytes(b"")  # a file where its folder should be
    with pytest.raises(EvidenceUnavailable):
        store.put_image(data)
    assert _files(tmp_path / "staging") == []
    assert store.original(kept.sha256, "jpg") == jpeg(1) and store.thumbnail(kept.sha256) == kept.thumbnail_jpeg


@pytest.mark.parametrize(("make", "reason"), [
    (lambda: b"not a picture at all", "not_image"),
    (_gif, "not_image"),
    (truncated_jpeg, "corrupt"),
    (pixel_bomb, "too_many_pixels"),
])
def test_put_image_rejected_leaves_nothing_behind(evidence_blobs, make, reason):
    store = EvidenceStore(evidence_blobs)
    with pytest.raises(UploadRejected) as info:
        store.put_image(make())
    assert info.value.reason == reason
    assert _keys(store) == []
    if store.root is not None:
        assert _files(store.root) == []


def test_put_image_too_big_is_rejected_before_writing(evidence_blobs):
    store = EvidenceStore(evidence_blobs)
    header = jpeg(1)
    with pytest.raises(UploadRejected) as info:
        store.put_image(header + b"\x00" * (MAX_BYTES + 1 - len(header)))
    assert info.value.reason == "too_big"
    assert _keys(store) == []


def test_keys_are_sharded_by_hash(tmp_path):
    sha = "ab" + "0" * 62
    assert original_key(sha, "jpg") == f"originals/ab/{sha}.jpg"
    assert thumbnail_key(sha) == f"thumbs/ab/{sha}.jpg"
    store = EvidenceStore(tmp_path)
    facts = store.put_image(jpeg(4))
    assert (tmp_path / original_key(facts.sha256, "jpg")).read_bytes() == store.original(facts.sha256, "jpg")


@pytest.mark.parametrize("bad", ["../etc", "", "a" * 63, "a" * 65, "A" * 64, "g" * 64, "../" + "a" * 61,
                                 "a" * 62 + "/x"])
def test_keys_refuse_anything_but_a_sha256(tmp_path, bad):
    store = EvidenceStore(tmp_path)
    with pytest.raises(ValueError):
        original_key(bad, "jpg")
    with pytest.raises(ValueError):
        thumbnail_key(bad)
    with pytest.raises(ValueError):
        store.original(bad, "jpg")
    with pytest.raises(ValueError):
        original_key("a" * 64, "../x")


def test_a_store_that_fails_is_counted_and_raised_as_unavailable(tmp_path):
    (tmp_path / "file").write_bytes(b"")  # a file where the directory should be: every write fails
    failures = []
    store = EvidenceStore(tmp_path / "file" / "evidence", on_error=failures.append)
    with pytest.raises(EvidenceUnavailable) as info:
        store.put_document(PDF, "x.pdf")
    assert isinstance(info.value, OSError) and info.value.operation == "write"
    assert failures == ["write"]


async def test_an_unreachable_bucket_is_unavailable_and_counted(moto_s3):
    from storage.blobs import S3Access, S3Blobs

    failures = []
    # A port nobody listens on (the server's own, minus nothing: a fresh free one).
    from testkit.ports import free_port
    from testkit.s3 import ACCESS

    gone = S3Blobs("tepai", "ev", S3Access(endpoint=f"http://127.0.0.1:{free_port()}", timeout_s=1, **ACCESS))
    store = EvidenceStore(gone, on_error=failures.append)
    with pytest.raises(EvidenceUnavailable):
        await store.check()
    with pytest.raises(EvidenceUnavailable):
        await store.read_original("0" * 64, "jpg")
    assert failures == ["write", "read"]
    assert "s3://tepai/ev" in store.where


async def test_a_missing_bucket_fails_the_check_and_reads_as_unavailable_not_as_missing_files(moto_s3):
    from storage.blobs import S3Blobs

    failures = []
    store = EvidenceStore(S3Blobs("no-such-bucket", "ev", moto_s3.access), on_error=failures.append)
    with pytest.raises(EvidenceUnavailable) as info:
        await store.check()
    assert "no-such-bucket" in str(info.value)
    # Both answer 404; a lost file would fail an outbox message for good, an unreachable store is retried.
    with pytest.raises(EvidenceUnavailable):
        await store.read_original("0" * 64, "pdf")
    with pytest.raises(EvidenceUnavailable):
        await store.has_original("0" * 64, "pdf")
    assert failures == ["write", "read", "read"]


# --------------------------------------------------------------------------- EvidenceStore: documents


def test_put_document_pdf(evidence_blobs):
    store = EvidenceStore(evidence_blobs)
    facts = store.put_document(PDF, "纪要.pdf")
    assert facts.ext == "pdf"
    assert facts.sha256 == hashlib.sha256(PDF).hexdigest()
    assert facts.size_bytes == len(PDF)
    assert store.original(facts.sha256, "pdf") == PDF


def test_put_document_pdf_whatever_its_name(tmp_path):
    assert EvidenceStore(tmp_path).put_document(PDF, "minutes.docx").ext == "pdf"


def test_put_document_docx(evidence_blobs):
    store = EvidenceStore(evidence_blobs)
    data = _docx()
    facts = store.put_document(data, "x.docx")
    assert facts.ext == "docx"
    assert store.original(facts.sha256, "docx") == data


@pytest.mark.parametrize(("name", "ext"), [("x.xlsx", "xlsx"), ("X.PPTX", "pptx"), ("x.exe", "docx"),
                                           (None, "docx"), ("x.doc", "docx")])
def test_put_document_zip_is_named_only_among_office_types(tmp_path, name, ext):
    store = EvidenceStore(tmp_path)
    facts = store.put_document(_docx(), name)
    assert facts.ext == ext
    assert store.original(facts.sha256, ext) is not None


@pytest.mark.parametrize(("name", "ext"), [("x.doc", "doc"), ("x.xls", "xls"), ("x.exe", "doc"), (None, "doc")])
def test_put_document_ole(tmp_path, name, ext):
    store = EvidenceStore(tmp_path)
    facts = store.put_document(OLE, name)
    assert facts.ext == ext
    assert store.original(facts.sha256, ext) == OLE


@pytest.mark.parametrize("data", [b"MZ\x90\x00 an executable", b"plain text minutes", b"", jpeg(1)])
def test_put_document_refuses_other_bytes(evidence_blobs, data):
    store = EvidenceStore(evidence_blobs)
    with pytest.raises(UploadRejected) as info:
        store.put_document(data, "minutes.pdf")
    assert info.value.reason == "not_document"
    assert _keys(store) == []


def test_put_document_too_big(tmp_path):
    with pytest.raises(UploadRejected) as info:
        EvidenceStore(tmp_path).put_document(PDF + b"\x00" * MAX_BYTES, "x.pdf")
    assert info.value.reason == "too_big"


def test_put_document_twice_keeps_one_copy(evidence_blobs):
    store = EvidenceStore(evidence_blobs)
    a = store.put_document(PDF, "a.pdf")
    b = store.put_document(PDF, "b.pdf")
    assert a == b
    assert len(_keys(store, "originals/")) == 1


def test_document_ext_uses_content_not_name():
    assert document_ext(PDF, "x.exe") == "pdf"
    with pytest.raises(UploadRejected):
        document_ext(b"#!/bin/sh\n", "x.pdf")


def test_the_bucket_secret_is_not_in_the_settings_repr():
    from storage.blobs import S3Access

    assert "s3cret" not in repr(S3Access(endpoint="http://127.0.0.1:9", access_key="k", secret_key="s3cret"))
