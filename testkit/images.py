"""Test images made on the fly: JPEGs with or without EXIF time and GPS, and broken files."""
from __future__ import annotations

import io
import struct
import zlib
from datetime import datetime

from PIL import Image, ImageDraw


def _dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    d = int(value)
    m = int((value - d) * 60)
    s = round((value - d - m / 60) * 3600, 2)
    return (float(d), float(m), s)


def picture(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A distinct picture per seed (so perceptual hashes differ between seeds)."""
    img = Image.new("RGB", size, (40 + seed * 37 % 200, 90, 160))
    draw = ImageDraw.Draw(img)
    w, h = size
    for i in range(6):
        x = (seed * 97 + i * 131) % w
        y = (seed * 53 + i * 71) % h
        draw.rectangle([x, y, x + w // 4, y + h // 5], fill=((seed * 29 + i * 40) % 255, (i * 60) % 255, 200 - i * 20))
    draw.ellipse([w // 3, h // 3, w // 3 + w // (2 + seed % 3), h // 3 + h // 4], fill=(250, 220, 30))
    return img


def jpeg(seed: int = 1, *, taken: datetime | None = None, gps: tuple[float, float] | None = None,
         size: tuple[int, int] = (640, 480), quality: int = 90) -> bytes:
    exif = Image.Exif()
    if taken is not None:
        exif.get_ifd(0x8769)[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
        exif[0x0132] = taken.strftime("%Y:%m:%d %H:%M:%S")
    if gps is not None:
        lat, lon = gps
        exif[0x8825] = {1: "N" if lat >= 0 else "S", 2: _dms(lat), 3: "E" if lon >= 0 else "W", 4: _dms(lon)}
    out = io.BytesIO()
    picture(seed, size).save(out, "JPEG", quality=quality, exif=exif)
    return out.getvalue()


def png(seed: int = 1) -> bytes:
    out = io.BytesIO()
    picture(seed).save(out, "PNG")
    return out.getvalue()


def truncated_jpeg() -> bytes:
    data = jpeg(7)
    return data[: len(data) // 3]


def pixel_bomb(width: int = 40_000, height: int = 40_000) -> bytes:
    """A tiny PNG whose header claims 1.6 gigapixels: refused before anything is decoded."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def big_png(width: int, height: int, *, alpha: bool = False) -> bytes:
    """A real, decodable PNG of one flat colour, made row by row (no image in memory): a few
    hundred kilobytes that decode to width × height × 3 (or 4) bytes."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    colour = 6 if alpha else 2
    pixel = b"\x50\x80\xc0\xff"[:4 if alpha else 3]
    row, packer = b"\x00" + pixel * width, zlib.compressobj(1)
    block = row * 256
    body = b"".join(packer.compress(block) for _ in range(height // 256))
    body += packer.compress(row * (height % 256)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
