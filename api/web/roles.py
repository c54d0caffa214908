"""Which roles may write: one answer for every page that offers a write (issue 21).

A page offers a create/record link, button or form only when :func:`may_write` says so
(templates call it as ``may_write(principal)``); the POST routes refuse the other roles
anyway (``api.http.auth.ensure_can_write``). Listed positively: a role added later
reads only until it is named here.
"""

from __future__ import annotations

from typing import Any

#: Roles that record (staff in their office, admins anywhere); auditors only read.
WRITING_ROLES = frozenset({"staff", "admin"})


def may_write(principal: Any) -> bool:
    """Whether ``principal`` may be offered writes (None, no one signed in: no)."""
    return getattr(principal, "role", None) in WRITING_ROLES
