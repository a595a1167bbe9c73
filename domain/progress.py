"""A commissioner's progress this year against the policy's minimums. Pure."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from domain.policy import Policy


@dataclass(frozen=True)
class YearProgress:
    year: int
    services: int
    services_target: int | None  # None: the policy sets no yearly count (Yangquan)
    expected_by_today: int | None
    enterprises_served: int
    enterprises_target: int

    @property
    def behind_pace(self) -> bool:
        return self.expected_by_today is not None and self.services < self.expected_by_today


def year_progress(policy: Policy, today: date, services: int, enterprises_served: int) -> YearProgress:
    target = policy.min_services_per_year
    expected = None
    if target is not None:
        start = date(today.year, 1, 1)
        days_in_year = (date(today.year + 1, 1, 1) - start).days
        elapsed = (today - start).days + 1
        expected = math.floor(target * elapsed / days_in_year)
    return YearProgress(
        year=today.year,
        services=services,
        services_target=target,
        expected_by_today=expected,
        enterprises_served=enterprises_served,
        enterprises_target=policy.min_enterprises,
    )
