"""Who sees the statistics: decided here once, and asked by both edges (`GET /api/v1/stats` and
the dashboard pages, with its CSV), so that they never answer differently.

The rule: the bureau's figures are for those who oversee the bureau's work - the bureau's leaders
(members of the group :data:`LEADERS`), supervisors of any group, admins and auditors. Everyone
else is refused, plain reviewers included: they follow their own work in the inbox, and the
figures of other agencies' work are not theirs to read. Nobody sees a partial report, so the
answer is the same whatever the filters.
"""

from __future__ import annotations

from app.errors import Forbidden, NotAuthenticated
from app.models import User

LEADERS = "bureau"  # the group slug of the bureau's leadership (局领导)
OVERSEEING_ROLES = ("admin", "auditor")
REFUSED = "statistics are for the bureau's leaders, supervisors, admins and auditors"


def may_see_stats(user: User | None) -> bool:
    """True for the bureau's leaders, supervisors of any group, admins and auditors."""
    if user is None or not user.is_staff:
        return False
    if any(user.has_role(role) for role in OVERSEEING_ROLES):
        return True
    return any(m.group.slug == LEADERS or m.is_supervisor for m in user.memberships)


def check_stats_access(user: User | None) -> User:
    """The user when :func:`may_see_stats`; NotAuthenticated without a user, else Forbidden."""
    if user is None:
        raise NotAuthenticated("log in to see the statistics")
    if not may_see_stats(user):
        raise Forbidden(REFUSED)
    return user
