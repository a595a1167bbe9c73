"""Roles a Telegram account can hold, and what each may do."""
from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    COMMISSIONER = "commissioner"  # 科技特派员
    ENTERPRISE = "enterprise"  # 派驻单位 / 入驻企业 contact person
    UNIT = "unit"  # 派出单位 contact (dispatching unit)
    COUNTY = "county"  # 县（区）、高新区科技管理部门 admin
    BUREAU = "bureau"  # 市科学技术局 admin

    @property
    def is_admin(self) -> bool:
        return self in (Role.COUNTY, Role.BUREAU)


# Roles whose word an admin must not give for them: the enterprise's answer on a visit, the
# commissioner's own record. An admin holding one in their own scope would answer for the people
# they oversee.
ANSWERING = frozenset({Role.COMMISSIONER, Role.ENTERPRISE})


def admin_covers(grants: Iterable[Any], county: str | None) -> bool:
    """The bureau covers every county; a county admin covers their own."""
    return any(g.role == Role.BUREAU or (g.role == Role.COUNTY and g.county == county) for g in grants)


def conflicts(grants: Iterable[Any], role: Role, county: str | None) -> bool:
    """Whether an account holding `grants` must not also take `role` (for something in `county`):
    an admin may not become an enterprise contact or a commissioner in their own scope, nor such a
    person an admin over themselves."""
    grants = list(grants)
    if role in ANSWERING:
        return admin_covers(grants, county)
    if role.is_admin:
        return any(g.role in ANSWERING and (role is Role.BUREAU or g.county == county) for g in grants)
    return False


def holds(grants: Iterable[Any], role: Role) -> bool:
    """Whether any of a person's grants (storage.models.RoleGrant) is of `role`."""
    return any(g.role == role for g in grants)


def held_ids(grants: Iterable[Any], role: Role, attr: str) -> list[int]:
    """The ids a person's grants of `role` speak for (`attr`: commissioner_id, enterprise_id or
    unit_id), in the order of the grants, each once."""
    return list(dict.fromkeys(getattr(g, attr) for g in grants if g.role == role and getattr(g, attr) is not None))


# Invite kinds are the roles: `tepai invite commissioner C001`, `tepai invite county 城区`.
INVITE_KINDS: tuple[str, ...] = tuple(r.value for r in Role)
