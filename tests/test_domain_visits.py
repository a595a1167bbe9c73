"""Pure tests of a visit being told (domain.visits) and of its evidence checks (domain.evidence)."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from domain.evidence import (
    NOTES,
    SAME_PICTURE_BITS,
    EarlierPhoto,
    Flag,
    FlagHit,
    LocationSource,
    PhotoFacts,
    Point,
    Status,
    check_location,
    check_photos,
    distance_m,
    hamming,
    location_source,
    notes,
    overall_status,
)
from domain.policy import load_policy
from domain.visits import (
    DateCheck,
    Mode,
    Step,
    VisitDraft,
    check_date,
    parse_date,
    summary_length,
)
from testkit.databases import ROOT

TODAY = date(2026, 3, 16)


# --------------------------------------------------------------------------- check_date


def test_check_date_today():
    assert check_date(TODAY, TODAY, 7) is DateCheck.TODAY


def test_check_date_yesterday_is_late():
    assert check_date(date(2026, 3, 15), TODAY, 7) is DateCheck.LATE


def test_check_date_exactly_at_the_limit_is_late_not_too_old():
    assert check_date(date(2026, 3, 9), TODAY, 7) is DateCheck.LATE


def test_check_date_one_day_past_the_limit_is_too_old():
    assert check_date(date(2026, 3, 8), TODAY, 7) is DateCheck.TOO_OLD


def test_check_date_future():
    assert check_date(date(2026, 3, 17), TODAY, 7) is DateCheck.FUTURE


def test_check_date_zero_backdate_allows_only_today():
    assert check_date(TODAY, TODAY, 0) is DateCheck.TODAY
    assert check_date(date(2026, 3, 15), TODAY, 0) is DateCheck.TOO_OLD


# --------------------------------------------------------------------------- parse_date


@pytest.mark.parametrize("text", ["2026-03-14", "2026/3/14", "2026年3月14日", "2026.3.14", " 2026 - 3 - 14 "])
def test_parse_date_full_forms(text):
    assert parse_date(text, TODAY) == date(2026, 3, 14)


@pytest.mark.parametrize("text", ["3-14", "3月14日", "03/14", "3.14"])
def test_parse_date_short_forms_are_this_year(text):
    assert parse_date(text, TODAY) == date(2026, 3, 14)


def test_parse_date_short_form_late_in_year_typed_in_january_is_last_year():
    assert parse_date("12-30", date(2026, 1, 2)) == date(2025, 12, 30)


def test_parse_date_short_form_a_few_days_ahead_stays_this_year_and_is_refused_as_future():
    parsed = parse_date("3-20", TODAY)
    assert parsed == date(2026, 3, 20)
    assert check_date(parsed, TODAY, 7) is DateCheck.FUTURE


def test_parse_date_short_form_about_half_a_year_ahead_stays_this_year():
    # 2026-09-14 is 182 days after 2026-03-16: not more than half a year ahead.
    assert parse_date("9-14", TODAY) == date(2026, 9, 14)


def test_parse_date_short_form_well_over_half_a_year_ahead_is_last_year():
    assert parse_date("10-30", TODAY) == date(2025, 10, 30)


@pytest.mark.parametrize("text", ["2-30", "2026-02-30", "13-01", "2026-13-01", "0-5"])
def test_parse_date_invalid_calendar_dates(text):
    assert parse_date(text, TODAY) is None


@pytest.mark.parametrize("text", ["", "yesterday", "昨天", "3", "2026-03", "2026-03-14 10:00", "abc-de"])
def test_parse_date_text_is_none(text):
    assert parse_date(text, TODAY) is None


# --------------------------------------------------------------------------- summary_length


def test_summary_length_ignores_whitespace():
    assert summary_length("  a b\tc\n d  ") == 4


def test_summary_length_counts_chinese_per_character():
    assert summary_length("企业 走访，解决问题") == 9


def test_summary_length_empty_and_blank():
    assert summary_length("") == 0
    assert summary_length(" \n\t\u3000") == 0


# --------------------------------------------------------------------------- VisitDraft


def _image(n: int = 1) -> dict:
    return {"id": f"f{n}", "uid": f"u{n}", "kind": "image", "source": "photo", "forwarded": False}


def _document(n: int = 1) -> dict:
    return {"id": f"d{n}", "uid": f"v{n}", "kind": "document", "source": "document", "forwarded": False}


def _complete(mode: str = Mode.ON_SITE) -> VisitDraft:
    return VisitDraft(
        key="k1", agreement_id=5, enterprise_id=7, enterprise_name="阳泉某某公司", kind="tech",
        mode=mode, visit_date="2026-03-14", summary="现场指导生产线改造，解决了温控问题。",
        files=[_image()], files_done=True,
        location={"lat": 37.86, "lon": 113.58, "accuracy": 20, "live": False},
        card_message_id=11, files_message_id=12,
    )


def test_next_step_order_from_empty_to_confirm():
    draft = VisitDraft(key="k")
    seen = [draft.next_step()]
    draft.agreement_id, draft.enterprise_id, draft.enterprise_name = 1, 2, "E"
    seen.append(draft.next_step())
    draft.kind = "tech"
    seen.append(draft.next_step())
    draft.mode = Mode.ON_SITE
    seen.append(draft.next_step())
    draft.visit_date = "2026-03-14"
    seen.append(draft.next_step())
    draft.summary = "summary"
    seen.append(draft.next_step())
    draft.files, draft.files_done = [_image()], True
    seen.append(draft.next_step())
    draft.location = {"lat": 1.0, "lon": 2.0, "accuracy": 5, "live": False}
    seen.append(draft.next_step())
    assert seen == [Step.ENTERPRISE, Step.KIND, Step.MODE, Step.DATE, Step.SUMMARY, Step.FILES,
                    Step.LOCATION, Step.CONFIRM]


def test_next_step_online_skips_location():
    draft = _complete(Mode.ONLINE)
    draft.location = None
    assert draft.next_step() is Step.CONFIRM


def test_next_step_on_site_location_skipped_goes_to_confirm():
    draft = _complete()
    draft.location, draft.location_skipped = None, True
    assert draft.next_step() is Step.CONFIRM


def test_next_step_files_not_done_stays_on_files():
    draft = _complete()
    draft.files_done = False
    assert draft.next_step() is Step.FILES


def test_next_step_files_done_but_not_enough_stays_on_files():
    draft = _complete()
    draft.files = [_document()]
    assert draft.next_step() is Step.FILES


def test_files_enough_on_site_needs_an_image():
    draft = _complete(Mode.ON_SITE)
    draft.files = []
    assert not draft.files_enough()
    draft.files = [_document(1), _document(2)]
    assert not draft.files_enough()
    draft.files = [_document(1), _image(1)]
    assert draft.files_enough()


def test_files_enough_online_needs_any_file():
    draft = _complete(Mode.ONLINE)
    draft.files = []
    assert not draft.files_enough()
    draft.files = [_document()]
    assert draft.files_enough()
    draft.files = [_image()]
    assert draft.files_enough()


def test_images_counts_only_images():
    draft = _complete()
    draft.files = [_image(1), _document(1), _image(2)]
    assert draft.images == 2


def test_complete_draft_is_at_confirm():
    assert _complete().next_step() is Step.CONFIRM


@pytest.mark.parametrize("step", [s for s in Step if s is not Step.CONFIRM])
def test_clear_step_asks_that_step_again(step):
    draft = _complete(Mode.ON_SITE)
    draft.clear(step)
    assert draft.next_step() is step


def test_clear_confirm_changes_nothing():
    draft = _complete()
    before = draft.to_dict()
    draft.clear(Step.CONFIRM)
    assert draft.to_dict() == before
    assert draft.next_step() is Step.CONFIRM


def test_clear_enterprise_forgets_all_three_fields():
    draft = _complete()
    draft.clear(Step.ENTERPRISE)
    assert (draft.agreement_id, draft.enterprise_id, draft.enterprise_name) == (None, None, None)


def test_clear_files_forgets_files_and_their_message():
    draft = _complete()
    draft.clear(Step.FILES)
    assert (draft.files, draft.files_done, draft.files_message_id) == ([], False, None)


def test_clear_location_also_forgets_a_skip():
    draft = _complete()
    draft.location, draft.location_skipped = None, True
    draft.clear(Step.LOCATION)
    assert draft.location_skipped is False
    assert draft.next_step() is Step.LOCATION


def test_draft_round_trips_through_dict():
    draft = _complete()
    draft.files = [_image(1), _document(2)]
    again = VisitDraft.from_dict(draft.to_dict())
    assert again == draft
    assert again.to_dict() == draft.to_dict()


def test_draft_to_dict_is_a_copy():
    draft = _complete()
    data = draft.to_dict()
    data["files"].append(_image(9))
    assert len(draft.files) == 1


def test_draft_from_dict_ignores_unknown_keys():
    data = _complete().to_dict() | {"obsolete": 1, "step": "files"}
    assert VisitDraft.from_dict(data) == _complete()


def test_draft_from_minimal_dict_uses_defaults():
    draft = VisitDraft.from_dict({"key": "x"})
    assert draft == VisitDraft(key="x")
    assert draft.files == [] and draft.next_step() is Step.ENTERPRISE


def test_draft_date_property():
    assert _complete().date == date(2026, 3, 14)
    assert VisitDraft(key="x").date is None


# --------------------------------------------------------------------------- distance and location

SITE = Point(37.8612, 113.5791)
NEAR = Point(37.8615, 113.5795)  # about 48 m away
FAR = Point(37.8712, 113.5791)  # about 1.1 km away


def test_distance_m_between_two_nearby_points():
    assert 40 < distance_m(SITE, NEAR) < 60


def test_distance_m_is_symmetric_and_zero_for_the_same_point():
    assert distance_m(SITE, NEAR) == pytest.approx(distance_m(NEAR, SITE))
    assert distance_m(SITE, SITE) == 0


def test_check_location_without_shared_location():
    hits, distance = check_location(SITE, None, None, 1000)
    assert [h.flag for h in hits] == [Flag.NO_LOCATION]
    assert distance is None


def test_check_location_without_site():
    hits, distance = check_location(None, NEAR, 10, 1000)
    assert [h.flag for h in hits] == [Flag.NO_SITE]
    assert distance is None


def test_check_location_far():
    hits, distance = check_location(SITE, FAR, 10, 1000)
    assert [h.flag for h in hits] == [Flag.FAR]
    assert hits[0].detail == {"distance_m": round(distance), "radius_m": 1000}
    assert 1000 < distance < 1200


def test_check_location_low_accuracy():
    hits, distance = check_location(SITE, NEAR, 1500, 1000)
    assert [h.flag for h in hits] == [Flag.LOW_ACCURACY]
    assert hits[0].detail == {"accuracy_m": 1500}
    assert 40 < distance < 60


def test_check_location_accuracy_equal_to_radius_is_fine():
    hits, _ = check_location(SITE, NEAR, 1000, 1000)
    assert hits == []


def test_check_location_within_radius():
    hits, distance = check_location(SITE, NEAR, 15, 1000)
    assert hits == []
    assert 40 < distance < 60


def test_check_location_without_accuracy_is_a_pin():
    hits, distance = check_location(SITE, NEAR, None, 100)
    assert hits == [FlagHit(Flag.PIN)] and distance is not None


def test_check_location_live_without_accuracy_is_no_pin():
    hits, _ = check_location(SITE, NEAR, None, 100, live=True)
    assert hits == []


@pytest.mark.parametrize(("pin_is_evidence", "status"), [(True, Status.NOTED), (False, Status.FLAGGED)])
def test_the_policy_decides_whether_a_pin_alone_is_enough(pin_is_evidence, status):
    hits, _ = check_location(SITE, NEAR, None, 1000)
    assert overall_status(hits, notes(pin_is_evidence)) is status


@pytest.mark.parametrize(("preset", "pin_is_evidence"), [("yangquan", False), ("jincheng", True)])
def test_both_presets_say_whether_a_pin_is_evidence(preset, pin_is_evidence):
    assert load_policy(preset).visit.pin_is_evidence is pin_is_evidence
    assert "pin_is_evidence" in (ROOT / "domain" / "presets" / f"{preset}.toml").read_text()


def test_location_source():
    assert location_source(True, None) is LocationSource.LIVE
    assert location_source(False, 12.0) is LocationSource.STATIC
    assert location_source(False, None) is LocationSource.PIN


def test_check_location_low_accuracy_and_far_both_reported():
    hits, _ = check_location(SITE, FAR, 5000, 1000)
    assert {h.flag for h in hits} == {Flag.LOW_ACCURACY, Flag.FAR}


# --------------------------------------------------------------------------- photos

VISIT_DAY = date(2026, 3, 14)


def _photo(index: int = 1, *, uid: str | None = None, phash: int | None = None,
           taken: datetime | None = None, gps: Point | None = None, forwarded: bool = False) -> PhotoFacts:
    return PhotoFacts(index=index, file_unique_id=uid or f"uid{index}", phash=phash, taken_at=taken,
                      gps=gps, forwarded=forwarded)


def _flags(hits: list[FlagHit]) -> list[Flag]:
    return [h.flag for h in hits]


def test_check_photos_clean_photo_has_no_hits():
    photo = _photo(taken=datetime(2026, 3, 14, 10, 0), gps=NEAR, phash=0xFFFF)
    assert check_photos([photo], VISIT_DAY, SITE, 1000, []) == []


def test_check_photos_no_photos_has_no_hits():
    assert check_photos([], VISIT_DAY, SITE, 1000, []) == []


def test_check_photos_no_exif_when_every_photo_lacks_time_and_gps():
    hits = check_photos([_photo(1), _photo(2)], VISIT_DAY, SITE, 1000, [])
    assert _flags(hits) == [Flag.NO_EXIF]


def test_check_photos_no_exif_not_raised_when_one_photo_has_time():
    photos = [_photo(1), _photo(2, taken=datetime(2026, 3, 14, 9, 0))]
    assert Flag.NO_EXIF not in _flags(check_photos(photos, VISIT_DAY, SITE, 1000, []))


def test_check_photos_no_exif_not_raised_when_one_photo_has_only_gps():
    photos = [_photo(1), _photo(2, gps=NEAR)]
    assert Flag.NO_EXIF not in _flags(check_photos(photos, VISIT_DAY, SITE, 1000, []))


@pytest.mark.parametrize("taken", [datetime(2026, 3, 13, 0, 0), datetime(2026, 3, 15, 23, 59),
                                   datetime(2026, 3, 14, 0, 0)])
def test_check_photos_exif_time_within_one_day_is_fine(taken):
    assert check_photos([_photo(taken=taken)], VISIT_DAY, SITE, 1000, []) == []


@pytest.mark.parametrize("taken", [datetime(2026, 3, 12, 23, 59), datetime(2026, 3, 16, 0, 0),
                                   datetime(2025, 3, 14, 10, 0)])
def test_check_photos_exif_time_beyond_one_day(taken):
    hits = check_photos([_photo(3, taken=taken)], VISIT_DAY, SITE, 1000, [])
    assert _flags(hits) == [Flag.EXIF_TIME]
    assert hits[0].detail == {"photo": 3, "taken": taken.isoformat()}


def test_check_photos_exif_gps_beyond_radius():
    hits = check_photos([_photo(2, gps=FAR)], VISIT_DAY, SITE, 1000, [])
    assert _flags(hits) == [Flag.EXIF_GPS]
    assert hits[0].detail["photo"] == 2
    assert 1000 < hits[0].detail["distance_m"] < 1200


def test_check_photos_exif_gps_within_radius_is_fine():
    assert check_photos([_photo(gps=NEAR)], VISIT_DAY, SITE, 1000, []) == []


def test_check_photos_exif_gps_not_checked_without_a_place():
    assert check_photos([_photo(gps=FAR)], VISIT_DAY, None, 1000, []) == []


def test_check_photos_forwarded():
    hits = check_photos([_photo(4, gps=NEAR, forwarded=True)], VISIT_DAY, SITE, 1000, [])
    assert hits == [FlagHit(Flag.FORWARDED, {"photo": 4})]


def test_check_photos_reused_by_file_unique_id():
    earlier = [EarlierPhoto(visit_id=40, file_unique_id="same", phash=None)]
    hits = check_photos([_photo(1, uid="same", gps=NEAR)], VISIT_DAY, SITE, 1000, earlier)
    assert hits == [FlagHit(Flag.REUSED, {"photo": 1, "visit": 40})]


def test_check_photos_reused_by_phash_within_threshold():
    original = 0x9C5C72A5CDCA2572
    near = original ^ ((1 << SAME_PICTURE_BITS) - 1)  # exactly SAME_PICTURE_BITS bits differ
    assert hamming(original, near) == SAME_PICTURE_BITS
    earlier = [EarlierPhoto(visit_id=12, file_unique_id="other", phash=original)]
    hits = check_photos([_photo(1, phash=near, gps=NEAR)], VISIT_DAY, SITE, 1000, earlier)
    assert hits == [FlagHit(Flag.REUSED, {"photo": 1, "visit": 12})]


def test_check_photos_not_reused_beyond_threshold():
    original = 0x9C5C72A5CDCA2572
    apart = original ^ ((1 << (SAME_PICTURE_BITS + 1)) - 1)
    assert hamming(original, apart) == SAME_PICTURE_BITS + 1
    earlier = [EarlierPhoto(visit_id=12, file_unique_id="other", phash=original)]
    assert check_photos([_photo(1, phash=apart, gps=NEAR)], VISIT_DAY, SITE, 1000, earlier) == []


def test_check_photos_reuse_names_the_earliest_visit():
    ph = 0x0123456789ABCDEF
    earlier = [
        EarlierPhoto(visit_id=30, file_unique_id="x", phash=ph),
        EarlierPhoto(visit_id=9, file_unique_id="same", phash=None),
        EarlierPhoto(visit_id=21, file_unique_id="y", phash=ph ^ 1),
        EarlierPhoto(visit_id=3, file_unique_id="z", phash=~ph & (2**64 - 1)),  # a different picture
    ]
    hits = check_photos([_photo(1, uid="same", phash=ph, gps=NEAR)], VISIT_DAY, SITE, 1000, earlier)
    assert hits == [FlagHit(Flag.REUSED, {"photo": 1, "visit": 9})]


def test_check_photos_missing_phash_does_not_match_missing_phash():
    earlier = [EarlierPhoto(visit_id=1, file_unique_id="a", phash=None)]
    assert check_photos([_photo(1, uid="b", phash=None, gps=NEAR)], VISIT_DAY, SITE, 1000, earlier) == []


def test_check_photos_flags_per_photo_with_its_index():
    photos = [
        _photo(1, taken=datetime(2026, 3, 14, 9, 0), gps=NEAR),
        _photo(2, taken=datetime(2026, 1, 1, 9, 0), gps=FAR, forwarded=True),
    ]
    hits = check_photos(photos, VISIT_DAY, SITE, 1000, [])
    assert _flags(hits) == [Flag.EXIF_TIME, Flag.EXIF_GPS, Flag.FORWARDED]
    assert all(h.detail["photo"] == 2 for h in hits)


# --------------------------------------------------------------------------- hamming and status


def test_hamming():
    assert hamming(0, 0) == 0
    assert hamming(0b1011, 0b0001) == 2
    assert hamming(0, 2**64 - 1) == 64


def test_overall_status_no_hits_is_verified():
    assert overall_status([]) is Status.VERIFIED


@pytest.mark.parametrize("flag", sorted(NOTES))
def test_overall_status_only_notes_is_noted(flag):
    assert overall_status([FlagHit(flag)]) is Status.NOTED


def test_overall_status_all_notes_together_is_noted():
    assert overall_status([FlagHit(f) for f in NOTES]) is Status.NOTED


@pytest.mark.parametrize("flag", sorted(set(Flag) - NOTES))
def test_overall_status_any_suspicious_flag_is_flagged(flag):
    assert overall_status([FlagHit(Flag.NO_EXIF), FlagHit(flag)]) is Status.FLAGGED


def test_overall_status_disputed_is_suspicious():
    assert Flag.DISPUTED not in NOTES
    assert overall_status([FlagHit(Flag.DISPUTED)]) is Status.FLAGGED


def test_check_photos_screenshots_of_an_online_visit_get_no_exif_note():
    assert check_photos([_photo(1), _photo(2)], VISIT_DAY, None, 1000, [], on_site=False) == []
