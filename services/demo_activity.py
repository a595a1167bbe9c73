"""A year of demo activity: visits with generated photos, the enterprises' answers, reports,
outcomes and surveys, written straight into the demo database (deterministic, offline)."""
from __future__ import annotations

import io
import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw

from domain import evidence
from domain.evidence import FlagHit, Point
from domain.policy import Policy
from domain.reports import periods
from storage.evidence_store import EvidenceStore
from storage.models import (
    Agreement,
    ExpertReview,
    Opinion,
    Outcome,
    Report,
    Survey,
    User,
    Visit,
    VisitFeedback,
    VisitFile,
)
from storage.repositories import Repos

SUMMARIES = [
    "现场调试{kind}相关设备，排查工艺参数，提出三项改进措施并跟踪落实。",
    "与企业技术人员座谈，梳理{kind}方面的需求，形成问题清单和解决思路。",
    "组织车间操作人员培训，讲解{kind}要点，现场答疑并发放资料。",
    "协助企业准备项目申报材料，对{kind}的技术方案提出修改意见。",
    "远程视频指导，解决生产中遇到的{kind}问题，约定下次现场复核。",
]
COUNTY_OPINIONS = ["服务认真，按时报送工作进展，企业反映良好，同意考核等次建议。",
                   "服务次数达标，建议进一步加强成果转化和项目申报。",
                   "能够深入企业一线解决实际问题，工作成效明显。"]
HOST_EVALUATIONS = ["专家指导及时，帮助企业解决了生产中的关键技术问题，评价很满意。",
                    "服务态度好，技术方案切实可行，希望继续合作。",
                    "现场服务次数偏少，希望增加到厂指导时间。"]
REVIEWERS = ["李振华", "王晓东"]  # two of the panel have scored so far; the third column stays blank
COMMENTS = ["指导很及时，解决了实际问题。", "专家很专业，希望多来几次。", "培训内容实用，员工反映很好。",
            "帮助我们理清了技术路线。", "沟通顺畅，建议增加现场时间。"]


def _photo(rng: random.Random, taken: datetime, where: tuple[float, float] | None) -> bytes:
    img = Image.new("RGB", (800, 600), (rng.randint(60, 200), rng.randint(60, 200), rng.randint(60, 200)))
    draw = ImageDraw.Draw(img)
    for _ in range(8):
        x, y = rng.randint(0, 760), rng.randint(0, 560)
        draw.rectangle([x, y, x + rng.randint(40, 300), y + rng.randint(30, 200)],
                       fill=(rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255)))
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
    if where is not None:
        def dms(v: float) -> tuple[float, float, float]:
            d = int(v)
            m = int((v - d) * 60)
            return (float(d), float(m), round((v - d - m / 60) * 3600, 2))
        exif[0x8825] = {1: "N", 2: dms(where[0]), 3: "E", 4: dms(where[1])}
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80, exif=exif)
    return out.getvalue()


async def seed_activity(repos: Repos, store: EvidenceStore, policy: Policy, zone: ZoneInfo, today: date,
                        seed: int = 7, step: Callable[[], object] = lambda: None) -> dict[str, int]:
    """`step` is called after each commissioner's year (the command line's progress bar)."""
    rng = random.Random(seed)
    now = datetime.combine(today, time(10), zone).astimezone(timezone.utc)
    year_start = date(today.year, 1, 1)
    agreements = await repos.assessment.agreements_in(year_start, date(today.year, 12, 31))
    by_commissioner: dict[int, list[Agreement]] = {}
    for a in agreements:
        by_commissioner.setdefault(a.commissioner_id, []).append(a)
    kinds = [k for k in policy.service_kinds]
    counts = {"visits": 0, "photos": 0, "reports": 0, "outcomes": 0, "surveys": 0, "opinions": 0, "reviews": 0}
    # The county's opinions and host units' evaluations draw from their own generator, so adding
    # them left the rest of the demo year as it was.
    opinion_rng = random.Random(seed + 1)
    review_rng = random.Random(seed + 2)
    days = (today - year_start).days
    for index, (commissioner_id, agreed) in enumerate(sorted(by_commissioner.items())):
        author = User(telegram_id=9_000_000_000 + commissioner_id, full_name=agreed[0].commissioner.name,
                      created_at=now, failed_starts=0)
        repos.session.add(author)
        await repos.session.flush()
        diligence = rng.uniform(0.35, 1.3)  # some are ahead of pace, some behind
        for n in range(max(3, int(diligence * 24 * days / 365))):
            a = rng.choice(agreed)
            e = a.enterprise
            day = year_start + timedelta(days=rng.randint(0, days))
            kind = rng.choice(kinds)
            on_site = rng.random() < 0.8
            site = (e.latitude, e.longitude) if e.latitude is not None else None
            far = on_site and rng.random() < 0.06
            where = None
            if on_site and site:
                jitter = 0.03 if far else 0.002
                where = (site[0] + rng.uniform(-jitter, jitter), site[1] + rng.uniform(-jitter, jitter))
            taken = datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59)))
            facts = store.put_image(_photo(rng, taken, where if on_site else None))
            stored = await repos.visits.keep_file(dict(
                sha256=facts.sha256, kind="image", ext=facts.ext, size_bytes=facts.size_bytes, width=facts.width,
                height=facts.height, phash=f"{facts.phash:016x}", taken_at=facts.taken_at.isoformat(),
                exif_lat=facts.gps[0] if facts.gps else None, exif_lon=facts.gps[1] if facts.gps else None), now)
            hits: list[FlagHit] = []
            distance = None
            if on_site:
                location_hits, distance = evidence.check_location(
                    Point(*site) if site else None, Point(*where) if where else None, 8.0, policy.visit.radius_m)
                hits += location_hits
            visit = Visit(
                draft_key=f"demo{commissioner_id:04d}{n:04d}", commissioner_id=commissioner_id, enterprise_id=e.id,
                agreement_id=a.id, author_user_id=author.id, kind=kind.key, mode="on_site" if on_site else "online",
                visit_date=day, logged_at=datetime.combine(day, time(18), zone).astimezone(timezone.utc),
                summary=rng.choice(SUMMARIES).format(kind=kind.zh), latitude=where[0] if where else None,
                longitude=where[1] if where else None, accuracy_m=8.0 if where else None, distance_m=distance,
                evidence_status=evidence.overall_status(hits, evidence.notes(policy.visit.pin_is_evidence)).value,
                flags=[{"flag": h.flag.value, **h.detail} for h in hits])
            await repos.visits.add(visit, [VisitFile(file_id=stored.id, position=1, file_unique_id=f"demo-{stored.id}",
                                                     source="document")])
            roll = rng.random()
            status = "confirmed" if roll < 0.82 else "disputed" if roll < 0.86 else "unanswered" if roll < 0.96 else "pending"
            if status == "disputed":
                visit.flags = [*visit.flags, {"flag": "disputed"}]
                visit.evidence_status = "flagged"
            repos.session.add(VisitFeedback(
                visit_id=visit.id, enterprise_id=e.id, status=status, prompted_at=visit.logged_at,
                reminders_sent=0 if status == "confirmed" else 2, answered_at=visit.logged_at if status in ("confirmed", "disputed") else None,
                rating=rng.choice([3, 4, 4, 5, 5, 5]) if status == "confirmed" else None,
                rated_at=visit.logged_at if status == "confirmed" else None,
                comment=rng.choice(COMMENTS) if status == "confirmed" and rng.random() < 0.3 else None,
                dispute_reason="当天没有见到专家。" if status == "disputed" else None))
            counts["visits"] += 1
            counts["photos"] += 1
        for cycle in policy.report_cycles:
            for period in periods(cycle, today.year):
                if period.due >= today:
                    continue
                roll = rng.random()
                if roll < 0.1 + (0.3 if diligence < 0.5 else 0):
                    continue  # missing
                late = roll > 0.85
                submitted = period.due + timedelta(days=rng.randint(1, 12)) if late else period.due - timedelta(days=rng.randint(0, 8))
                repos.session.add(Report(
                    commissioner_id=commissioner_id, cycle=cycle.key, period=period.key,
                    text=f"{period.key} 工作进展：按计划开展服务，详见服务记录。", attachments=[],
                    submitted_at=datetime.combine(submitted, time(16), zone).astimezone(timezone.utc),
                    due_on=period.due, late=late, author_user_id=author.id))
                counts["reports"] += 1
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
            a = rng.choice(agreed)
            kind = rng.choice(policy.outcome_kinds)
            repos.session.add(Outcome(commissioner_id=commissioner_id, enterprise_id=a.enterprise_id, kind=kind.key,
                                      title=f"{a.enterprise.name}{kind.zh}", achieved_on=year_start + timedelta(days=rng.randint(0, days)),
                                      logged_at=now, author_user_id=author.id))
            counts["outcomes"] += 1
        if policy.survey and today.month >= policy.survey.month:
            for a in agreed:
                if rng.random() < 0.7:
                    repos.session.add(Survey(agreement_id=a.id, period=str(today.year), sent_at=now, answered_at=now,
                                             answers={q.key: rng.choice([3, 4, 5, 5]) for q in policy.survey.questions}))
                    counts["surveys"] += 1
        if opinion_rng.random() < 0.7:
            repos.session.add(Opinion(year=today.year, commissioner_id=commissioner_id, kind="county",
                                      text=opinion_rng.choice(COUNTY_OPINIONS), written_by="demo", written_at=now))
            counts["opinions"] += 1
        for a in agreed:
            if opinion_rng.random() < 0.6:
                repos.session.add(Opinion(year=today.year, commissioner_id=commissioner_id, kind="host",
                                          enterprise_id=a.enterprise_id, text=opinion_rng.choice(HOST_EVALUATIONS),
                                          written_by="demo", written_at=now))
                counts["opinions"] += 1
        if policy.review is not None:  # an expert review (Jincheng 第二十条): points a little around the records'
            for reviewer in REVIEWERS:
                scores = {c.key: round(c.points * review_rng.uniform(0.55, 0.95)) for c in policy.review.criteria}
                total = sum(scores.values())
                rules = policy.assessment
                conclusion = policy.grades[0 if total >= rules.top_score else 1 if total >= rules.pass_score else -1].key
                repos.session.add(ExpertReview(year=today.year, commissioner_id=commissioner_id, reviewer=reviewer,
                                               scores=scores, conclusion=conclusion, written_by="demo", written_at=now))
                counts["reviews"] += 1
        if index % 10 == 9:
            await repos.session.flush()
        step()
    return counts
