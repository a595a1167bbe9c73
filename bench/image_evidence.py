"""Storing a 12-megapixel JPEG with EXIF (thumbnail, perceptual hash, every evidence check) as a
ratio of one plain full decode of the same file by Pillow, measured side by side; and the peak
memory of each, each in a fresh process."""
from __future__ import annotations

import io
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
from PIL import Image

from domain import evidence
from domain.evidence import EarlierPhoto, PhotoFacts, Point
from storage.evidence_store import EvidenceStore

SIZE = (4000, 3000)  # 12 MP, a phone camera's default


def photo_like_jpeg(seed: int = 7) -> bytes:
    """Smooth shapes, texture and sensor noise: compresses like a photo (3-5 MB), unlike a
    flat test card (tiny) or pure noise (huge)."""
    rng = np.random.default_rng(seed)
    w, h = SIZE
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([
        120 + 60 * np.sin(x / 310) + 40 * np.cos(y / 170),
        110 + 50 * np.sin((x + y) / 420) + 30 * np.sin(y / 90),
        100 + 70 * np.cos(x / 230) * np.sin(y / 260),
    ], axis=2)
    base += (9 * np.sin(x / 7) * np.cos(y / 9))[..., None]
    base += rng.normal(0, 5, base.shape)
    img = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2026:03:16 09:30:00"
    exif[0x0132] = "2026:03:16 09:30:00"
    exif[0x8825] = {1: "N", 2: (37.0, 51.0, 40.3), 3: "E", 4: (113.0, 34.0, 44.8)}
    out = io.BytesIO()
    img.save(out, "JPEG", quality=92, exif=exif)
    return out.getvalue()


def full_decode(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as img:
        img.load()


def store_and_check(store: EvidenceStore, data: bytes, earlier: list[EarlierPhoto]) -> None:
    facts = store.put_image(data)
    photo = PhotoFacts(1, "uid-new", facts.phash, facts.taken_at,
                       Point(*facts.gps) if facts.gps else None)
    evidence.check_location(Point(37.8612, 113.5791), Point(37.8615, 113.5795), 10.0, 1000)
    evidence.check_photos([photo], date(2026, 3, 16), Point(37.8615, 113.5795), 1000, earlier)


def _timed_pairs(first, second, repeat: int) -> tuple[float, float]:  # noqa: ANN001
    """Median seconds of each, run alternately so that drift in the machine's speed (other
    processes, CPU frequency) falls on both alike."""
    runs: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for fn, out in ((first, runs[0]), (second, runs[1])):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return statistics.median(runs[0]), statistics.median(runs[1])


def _peak_rss_mb(code: str, path: Path) -> float:
    """Peak resident memory of a fresh Python process that runs `code` on the file at `path`."""
    # VmHWM, not ru_maxrss: the latter carries the parent's peak over fork on Linux.
    script = (f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r});"
              f"data = open({str(path)!r}, 'rb').read(); {code};"
              "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def run(repeat: int = 11) -> dict[str, float]:
    data = photo_like_jpeg()
    # A year of a city's photos to compare against (hashes only; that is all the check reads).
    earlier = [EarlierPhoto(i, f"uid-{i}", (i * 0x9E3779B97F4A7C15) & (2**64 - 1)) for i in range(5000)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = EvidenceStore(folder / "evidence")
        full_decode(data)
        store_and_check(store, data, earlier)  # warm imports, caches and the store's folders
        # Distinct bytes for every run (a tail after the JPEG's end marker), so every run really
        # writes its original instead of finding it stored already.
        variants = iter([data + bytes([i]) * (i + 1) for i in range(repeat)])
        decode_s, store_s = _timed_pairs(lambda: full_decode(data),
                                         lambda: store_and_check(store, next(variants), earlier), repeat)
        sample = folder / "photo.jpg"
        sample.write_bytes(data)
        base_rss = _peak_rss_mb("import PIL.Image, storage.evidence_store", sample)
        decode_rss = _peak_rss_mb("import io, PIL.Image, storage.evidence_store;"
                                  "PIL.Image.open(io.BytesIO(data)).load()", sample)
        store_rss = _peak_rss_mb("from pathlib import Path; import tempfile, storage.evidence_store as s;"
                                 "s.EvidenceStore(Path(tempfile.mkdtemp())).put_image(data)", sample)
    return {
        "jpeg_mb": len(data) / 1e6,
        "decode_ms": decode_s * 1000,
        "store_ms": store_s * 1000,
        "ratio": store_s / decode_s,
        "decode_peak_mb": decode_rss - base_rss,
        "store_peak_mb": store_rss - base_rss,
    }


def bucket_vs_folder(repeat: int = 7) -> dict[str, float]:
    """Storing the same photo (original, thumbnail, checks) into an S3 bucket and into a folder,
    side by side. The bucket is moto's server in a process of its own on loopback: a stand-in
    that is itself slow Python, so the ratio is an upper bound on what the client adds, not a
    forecast for MinIO or a cloud's latency."""
    from storage.blobs import S3Blobs
    from testkit.ports import free_port
    from testkit.s3 import MotoS3

    data = photo_like_jpeg()
    earlier = [EarlierPhoto(i, f"uid-{i}", (i * 0x9E3779B97F4A7C15) & (2**64 - 1)) for i in range(5000)]
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        s3 = MotoS3(f"http://127.0.0.1:{port}")
        for _ in range(100):  # its start: a few seconds at most
            try:
                bucket = s3.new_bucket()
                break
            except Exception:  # noqa: BLE001 - not listening yet
                time.sleep(0.1)
        with tempfile.TemporaryDirectory() as tmp:
            folder = EvidenceStore(Path(tmp) / "evidence")
            in_bucket = EvidenceStore(S3Blobs(bucket, "evidence", s3.access))
            store_and_check(folder, data, earlier)
            store_and_check(in_bucket, data, earlier)
            variants = iter([data + bytes([i]) * (i + 1) for i in range(2 * repeat)])
            folder_s, bucket_s = _timed_pairs(lambda: store_and_check(folder, next(variants), earlier),
                                              lambda: store_and_check(in_bucket, next(variants), earlier), repeat)
    finally:
        server.terminate()
        server.wait(timeout=10)
    return {"folder_ms": folder_s * 1000, "bucket_ms": bucket_s * 1000, "ratio": bucket_s / folder_s}


if __name__ == "__main__":
    print(run())
    print(bucket_vs_folder())
