"""What an uploaded file is, from its bytes alone: an image's facts for the evidence checks (one
decode at reduced size, JPEG draft mode: format, size, EXIF time and place, perceptual hash, a
thumbnail), a document's type by its first bytes, and the limits both must keep. PNG and WebP
have no reduced decode: an image over MAX_PIXELS is refused from its header, before any pixel is
decoded, and the decode holds one full-size copy at most (about 4 bytes a pixel: 200 MB at the
cap). Pure computation (Pillow, imagehash); storing the files is storage.evidence_store's."""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import datetime

import imagehash
import numpy
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 20 * 1024 * 1024  # what a bot can download through getFile
MAX_PIXELS = 50_000_000  # a phone camera's largest output (50 MP); past this a decompression bomb to us
THUMB_PX = 320  # JPEGs decode at the smallest scale still this large on both sides
THUMB_MAX = 640  # the stored thumbnail's long side at most: what the reduced decode gives, kept as is
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}

EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATETIME_ORIGINAL, DATETIME = 0x9003, 0x0132


class UploadRejected(ValueError):
    """Why an upload is not stored: too_big, not_image, too_many_pixels, corrupt or not_document."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ImageFacts:
    sha256: str
    ext: str
    size_bytes: int
    width: int
    height: int
    phash: int
    taken_at: datetime | None
    gps: tuple[float, float] | None
    thumbnail_jpeg: bytes


def analyse(data: bytes) -> ImageFacts:
    """Every fact about an image, from one decode at reduced size; raises UploadRejected."""
    return ImageFacts(sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data), **inspect_image(data))


def inspect_image(data: bytes) -> dict[str, object]:
    """ImageFacts' fields but the hash and size: one decode at reduced size; raises UploadRejected."""
    if len(data) > MAX_BYTES:
        raise UploadRejected("too_big")
    try:
        with Image.open(io.BytesIO(data)) as img:
            ext = FORMATS.get(img.format or "")
            if ext is None:
                raise UploadRejected("not_image")
            width, height = img.size
            if width * height > MAX_PIXELS:
                raise UploadRejected("too_many_pixels")
            exif = img.getexif()
            taken_at, gps = _exif_time(exif), _exif_gps(exif)
            if img.format == "JPEG":
                img.draft("RGB", (THUMB_PX, THUMB_PX))  # decode at 1/2…1/8 scale, never below THUMB_PX
            img.load()
            thumb = ImageOps.exif_transpose(_reduced_rgb(img))
    except UploadRejected:
        raise
    except Image.DecompressionBombError:  # Pillow's own guard, for headers past twice its limit
        raise UploadRejected("too_many_pixels") from None
    except UnidentifiedImageError:
        raise UploadRejected("not_image") from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise UploadRejected("corrupt") from None
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=80)
    return dict(ext=ext, width=width, height=height, phash=perceptual_hash(thumb),
                taken_at=taken_at, gps=gps, thumbnail_jpeg=out.getvalue())


def _reduced_rgb(img: Image.Image) -> Image.Image:
    """The decoded image as an RGB thumbnail, THUMB_MAX on its long side at most, without a second
    full-size copy: Pillow's convert() copies the whole image, and its resize of an image with
    alpha converts it to premultiplied alpha first, so a big image is cut down before either."""
    factor = max(img.size) // (2 * THUMB_MAX)
    if factor > 1 and img.mode in ("RGB", "L"):
        img = img.reduce(factor)  # a box average, straight from the decoded pixels
    elif factor > 1:  # alpha, palettes, 16-bit: every factor-th pixel, no converted copy first
        img = img.resize((max(1, img.width // factor), max(1, img.height // factor)), Image.Resampling.NEAREST)
    thumb = img.convert("RGB")
    thumb.thumbnail((THUMB_MAX, THUMB_MAX), Image.Resampling.BILINEAR)  # big PNGs, screenshots
    return thumb


PHASH_INPUT_PX = 64  # the pHash reads a 32×32 image; a box reduction to about twice that comes first


def perceptual_hash(image: Image.Image) -> int:
    """imagehash's pHash of the image as a 64-bit int, after a box reduction to about 64 pixels.

    pHash's own Lanczos resize from a 500-pixel thumbnail took a millisecond per photo; reducing
    first takes a fifth of that. The hashes differ from plain pHash by up to a few bits, so every
    stored hash must come from here (they all do) for the reuse check to compare like with like.
    """
    gray = image.convert("L")
    factor = min(gray.size) // PHASH_INPUT_PX
    if factor > 1:
        gray = gray.reduce(factor)
    bits = imagehash.phash(gray).hash  # 8×8 booleans, row by row as str() would print them
    return int.from_bytes(numpy.packbits(bits).tobytes(), "big")


def warm_up() -> None:
    """Make the first pHash now: imagehash imports scipy's FFT on its first one (a second or more,
    holding the interpreter), which a process should pay at start, not on someone's first photo."""
    perceptual_hash(Image.new("L", (PHASH_INPUT_PX, PHASH_INPUT_PX)))


def _exif_time(exif: Image.Exif) -> datetime | None:
    raw = exif.get_ifd(EXIF_IFD).get(DATETIME_ORIGINAL) or exif.get(DATETIME)
    if not raw:
        return None
    try:
        return datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


def _exif_gps(exif: Image.Exif) -> tuple[float, float] | None:
    gps = exif.get_ifd(GPS_IFD)
    try:
        lat = _degrees(gps[2], gps.get(1, "N"), "S")
        lon = _degrees(gps[4], gps.get(3, "E"), "W")
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    return lat, lon


def _degrees(dms, ref, negative_ref: str) -> float:  # noqa: ANN001 - EXIF rationals
    d, m, s = (float(x) for x in dms)
    value = d + m / 60 + s / 3600
    ref = ref.decode() if isinstance(ref, bytes) else str(ref)
    return -value if ref.strip("\x00 ").upper() == negative_ref else value


# Documents accepted as evidence of an online visit, by their first bytes.
DOCUMENT_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "pdf"),
    (b"PK\x03\x04", "zip"),  # docx, xlsx, pptx: named by the sender's extension below
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),  # doc, xls, ppt
)
OFFICE_EXTS = {"zip": ("docx", "xlsx", "pptx"), "ole": ("doc", "xls", "ppt")}


@dataclass(frozen=True)
class DocumentFacts:
    sha256: str
    ext: str
    size_bytes: int


def document_ext(data: bytes, file_name: str | None) -> str:
    """The stored extension, from the content; the sender's name only picks among Office types."""
    if len(data) > MAX_BYTES:
        raise UploadRejected("too_big")
    for magic, family in DOCUMENT_MAGIC:
        if data.startswith(magic):
            if family == "pdf":
                return "pdf"
            claimed = (file_name or "").rsplit(".", 1)[-1].lower()
            return claimed if claimed in OFFICE_EXTS[family] else OFFICE_EXTS[family][0]
    raise UploadRejected("not_document")
