"""Peak memory of image uploads (issue #12, item 8): a crafted PNG cannot take gigabytes, a PNG at
the cap is decoded with one full-size copy, and a burst of uploads decodes a few at a time.

Peak resident memory is read from /proc (VmHWM, reset through clear_refs), since Pillow's pixels
are not Python objects that tracemalloc would see."""
from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from storage.evidence_store import EvidenceStore, UploadRejected
from testkit.images import big_png

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self")
MB = 1024 * 1024


def _status(field: str) -> int:
    line = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith(field))
    return int(line.split()[1]) * 1024


def peak_growth(work: Callable[[], object]) -> int:
    """Bytes the process's resident memory rose above where it stood, at its highest, during `work`."""
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # the high-water mark starts again from now
    before = _status("VmRSS:")
    work()
    return _status("VmHWM:") - before


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # Pillow's own, at open
def test_a_crafted_png_of_120_megapixels_is_refused_before_decoding(tmp_path) -> None:  # noqa: ANN001
    data = big_png(10_000, 11_990)  # the PNG: 120 MP that decode to 360 MB and more
    assert len(data) < 2 * MB
    store = EvidenceStore(tmp_path)

    def put() -> None:
        with pytest.raises(UploadRejected) as info:
            store.put_image(data)
        assert info.value.reason == "too_many_pixels"

    assert peak_growth(put) < 32 * MB


@pytest.mark.parametrize(("size", "alpha"), [((8000, 6250), False), ((6000, 5000), True)])
def test_a_png_at_the_cap_is_decoded_with_one_full_size_copy(tmp_path, size, alpha) -> None:  # noqa: ANN001
    data = big_png(*size, alpha=alpha)
    decoded = size[0] * size[1] * 4  # Pillow keeps RGB in four bytes a pixel too
    store = EvidenceStore(tmp_path)
    growth = peak_growth(lambda: store.put_image(data))
    assert growth < 1.25 * decoded, f"{growth / MB:.0f} MB for a {decoded / MB:.0f} MB image"


async def test_a_burst_of_uploads_decodes_two_at_a_time(tmp_path) -> None:  # noqa: ANN001
    images = [big_png(4000, 5000 + i) for i in range(6)]  # 80 MB decoded each, six distinct files
    store = EvidenceStore(tmp_path, decodes_at_once=2)
    loop = asyncio.get_running_loop()

    async def burst() -> None:
        await asyncio.gather(*(store.keep_image(data) for data in images))

    def run() -> None:
        asyncio.run_coroutine_threadsafe(burst(), loop).result()

    growth = await loop.run_in_executor(None, peak_growth, run)
    assert growth < 3 * 4000 * 5000 * 4, f"{growth / MB:.0f} MB"  # all six at once: 480 MB
