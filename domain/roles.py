"""Roles a Telegram account can hold, and what each may do."""
from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    COMMISSIONER = "commissioner"  # 科技特派员
    ENTERPRISE = "enterprise"  # 派驻单位 / 入驻企业 contact person
    UNIT = "unit"  # 派出单位 contact (dispatching unit)
    COUNTY = "county"  # 县（区）、高新区科技管理部门 admin
    BUREAU = "bureau"  # 市科学技术局 admin

    @property
    def is_admin(self) -> bool:
        return self in (Role.COUNTY, Role.BUREAU)


# Invite kinds are the roles: `tepai invite commissioner C001`, `tepai invite county 城区`.
INVITE_KINDS: tuple[str, ...] = tuple(r.value for r in Role)
