"""Evidence checks for a visit: location, photo EXIF, reused and forwarded photos. Pure.

Each check returns flags; `overall_status` folds them into one status the bureau can filter on.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from haversine import Unit, haversine

# Perceptual hashes (64 bits) this close are the same picture, recompressed or resized.
SAME_PICTURE_BITS = 6
# The hex perceptual hash cut into SAME_PICTURE_BITS + 1 bands (start, length; 1-based, as SQL's
# substr): two hashes at most that many bits apart agree on at least one whole band (pigeonhole),
# so indexes on the bands find every candidate for reuse without reading every photo ever stored.
PHASH_BANDS = ((1, 3), (4, 3), (7, 2), (9, 2), (11, 2), (13, 2), (15, 2))


def phash_bands(phash: int) -> list[str]:
    """The hash's bands as stored text (16 lowercase hex digits) has them."""
    hexed = f"{phash:016x}"
    return [hexed[start - 1:start - 1 + length] for start, length in PHASH_BANDS]
EXIF_DAYS_TOLERANCE = 1


class Flag(StrEnum):
    FAR = "far"  # the shared location is beyond the policy radius from the enterprise
    NO_LOCATION = "no_location"  # an on-site visit without a location
    NO_SITE = "no_site"  # the enterprise has no coordinates: distance not checked
    LOW_ACCURACY = "low_accuracy"  # the phone's own accuracy is coarser than the radius
    PIN = "pin"  # a place picked on the map (no accuracy, not live): nothing says anyone was there
    EXIF_TIME = "exif_time"  # a photo was taken more than a day away from the visit date
    EXIF_GPS = "exif_gps"  # a photo's GPS is beyond the radius from the visit's place
    NO_EXIF = "no_exif"  # no photo carries EXIF (Telegram "photo" recompression): noted, not failed
    REUSED = "reused"  # a photo already used on an earlier visit
    FORWARDED = "forwarded"  # a photo forwarded from another chat
    LATE = "late"  # logged days after the visit date, within the policy's limit
    DISPUTED = "disputed"  # the enterprise said the visit did not happen as told


# Information, not suspicion: they do not make a visit "flagged".
NOTES = frozenset({Flag.NO_EXIF, Flag.NO_SITE, Flag.LATE, Flag.LOW_ACCURACY})


def notes(pin_is_evidence: bool) -> frozenset[Flag]:
    """The flags that inform without casting doubt under a policy: a dropped pin is one of them
    only where the policy takes a pin alone as evidence of an on-site visit."""
    return NOTES | {Flag.PIN} if pin_is_evidence else NOTES


class LocationSource(StrEnum):
    LIVE = "live"  # a live location: the phone keeps sending where it is
    STATIC = "static"  # the phone's current position, sent once, with its accuracy
    PIN = "pin"  # no accuracy and not live: most clients send this for a place picked on the map


def location_source(live: bool, accuracy_m: float | None) -> LocationSource:
    if live:
        return LocationSource.LIVE
    return LocationSource.STATIC if accuracy_m is not None else LocationSource.PIN


class Status(StrEnum):
    VERIFIED = "verified"  # no flags
    NOTED = "noted"  # only notes
    FLAGGED = "flagged"  # at least one suspicious flag


@dataclass(frozen=True)
class Point:
    lat: float
    lon: float


@dataclass(frozen=True)
class FlagHit:
    flag: Flag
    detail: dict = field(default_factory=dict)  # distance, photo index, earlier visit id …


@dataclass(frozen=True)
class PhotoFacts:
    index: int  # position in the visit, from 1
    file_unique_id: str
    phash: int | None
    taken_at: datetime | None  # EXIF DateTimeOriginal, naive local time as cameras write it
    gps: Point | None
    forwarded: bool = False


@dataclass(frozen=True)
class EarlierPhoto:
    visit_id: int
    file_unique_id: str
    phash: int | None


def distance_m(a: Point, b: Point) -> float:
    return haversine((a.lat, a.lon), (b.lat, b.lon), unit=Unit.METERS)


def check_location(site: Point | None, shared: Point | None, accuracy_m: float | None,
                   radius_m: int, live: bool = False) -> tuple[list[FlagHit], float | None]:
    """Flags for the shared location, and its distance from the enterprise (if both are known)."""
    if shared is None:
        return [FlagHit(Flag.NO_LOCATION)], None
    hits: list[FlagHit] = []
    if location_source(live, accuracy_m) is LocationSource.PIN:
        hits.append(FlagHit(Flag.PIN))
    if accuracy_m is not None and accuracy_m > radius_m:
        hits.append(FlagHit(Flag.LOW_ACCURACY, {"accuracy_m": round(accuracy_m)}))
    if site is None:
        return [*hits, FlagHit(Flag.NO_SITE)], None
    distance = distance_m(site, shared)
    if distance > radius_m:
        hits.append(FlagHit(Flag.FAR, {"distance_m": round(distance), "radius_m": radius_m}))
    return hits, distance


def check_photos(photos: list[PhotoFacts], visit_date: date, place: Point | None, radius_m: int,
                 earlier: list[EarlierPhoto], *, on_site: bool = True) -> list[FlagHit]:
    """`on_site=False` for an online visit: its screenshots never carried a camera's EXIF, so
    their lack of it is no note (a date or place they do carry is still checked)."""
    hits: list[FlagHit] = []
    if on_site and photos and all(p.taken_at is None and p.gps is None for p in photos):
        hits.append(FlagHit(Flag.NO_EXIF))
    for photo in photos:
        if photo.taken_at is not None:
            days = abs((photo.taken_at.date() - visit_date).days)
            if days > EXIF_DAYS_TOLERANCE:
                hits.append(FlagHit(Flag.EXIF_TIME, {"photo": photo.index, "taken": photo.taken_at.isoformat()}))
        if photo.gps is not None and place is not None:
            distance = distance_m(photo.gps, place)
            if distance > radius_m:
                hits.append(FlagHit(Flag.EXIF_GPS, {"photo": photo.index, "distance_m": round(distance)}))
        if photo.forwarded:
            hits.append(FlagHit(Flag.FORWARDED, {"photo": photo.index}))
        match = find_reuse(photo, earlier)
        if match is not None:
            hits.append(FlagHit(Flag.REUSED, {"photo": photo.index, "visit": match}))
    return hits


def find_reuse(photo: PhotoFacts, earlier: list[EarlierPhoto]) -> int | None:
    """The earliest visit that already used this picture, by Telegram id or perceptual hash.

    Runs for every photo against the candidates the band indexes found (PHASH_BANDS)."""
    uid, phash = photo.file_unique_id, photo.phash
    if phash is None:
        matches = [e.visit_id for e in earlier if e.file_unique_id == uid]
    else:
        matches = [e.visit_id for e in earlier
                   if e.file_unique_id == uid
                   or (e.phash is not None and (phash ^ e.phash).bit_count() <= SAME_PICTURE_BITS)]
    return min(matches) if matches else None


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def counts_as_flagged(status: str, accepted: bool) -> bool:
    """Whether a visit still casts doubt: flagged by its evidence (or a dispute) and not accepted by a
    reviewer. The one definition the assessment, the dossier, the digests and the console count by;
    an accepted visit keeps its flags on record."""
    return status == Status.FLAGGED and not accepted


def counts_as_disputed(answer: str | None, accepted: bool) -> bool:
    """The enterprise disputed the visit and no reviewer has accepted it since (an accepted dispute
    is settled: the reviewer found the visit happened)."""
    return answer == "disputed" and not accepted


def counts_as_verified(status: str, answer: str | None, accepted: bool) -> bool:
    """A service the assessment counts: not an open dispute, and either not in doubt or confirmed
    by the enterprise."""
    return not counts_as_disputed(answer, accepted) and (not counts_as_flagged(status, accepted)
                                                         or answer == "confirmed")


def overall_status(hits: list[FlagHit], notes: frozenset[Flag] = NOTES) -> Status:
    """VERIFIED without flags, NOTED with notes only (`notes(policy)`), else FLAGGED."""
    if not hits:
        return Status.VERIFIED
    if all(h.flag in notes for h in hits):
        return Status.NOTED
    return Status.FLAGGED
