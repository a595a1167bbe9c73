"""Small text builders shared by handlers (no I/O)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from locales import Translator

if TYPE_CHECKING:  # names for annotations only: handlers do not touch the tables
    from storage.models import RoleGrant


def role_summary(t: Translator, grant: RoleGrant) -> str:
    """'科技特派员', '阳泉某公司的联系人', '城区科技管理部门管理员' …"""
    return t(f"roles.{grant.role}_of", subject=grant.subject_name)


def join(t: Translator, items: Iterable[str]) -> str:
    return ("、" if t.lang == "zh" else ", ").join(items)
