"""The admin console's rules: staff accounts, groups and their members, calendar overrides.

Every change is audited with who made it and the values before and after. Functions flush and
never commit; a refused change raises before anything is written (InvalidData names the field).
The rules live by concern in admin_rules.py (who is an admin, messages, look-ups),
admin_users.py, admin_groups.py and admin_calendar.py; this module is the console's one entry.
"""

from __future__ import annotations

from .accounts import BAD_USERNAME, WEAK_PASSWORD
from .admin_calendar import overrides_of_year, parse_day, remove_day, set_day
from .admin_groups import (
    GroupRow,
    add_member,
    create_group,
    list_groups,
    members,
    remove_member,
    set_supervisor,
    update_group,
)
from .admin_rules import (
    ALREADY_MEMBER,
    BAD_DAY,
    BAD_DAY_KIND,
    BAD_SLUG,
    ESCALATES_TO_SELF,
    NO_CREDIT_CODE,
    ROLES,
    SELF_ADMIN,
    SELF_DISABLE,
    SLUG,
    TAKEN_SLUG,
    UNKNOWN_GROUP,
    UNKNOWN_ROLE,
    UNKNOWN_USER,
    YEAR_RANGE,
    group_by_slug,
    is_admin,
    require_admin,
    staff_user,
    user_by_name,
)
from .admin_users import (
    NewStaff,
    UserPage,
    create_staff,
    reset_password,
    search_users,
    set_active,
    set_credit_code_verified,
    set_roles,
)

__all__ = [
    "ALREADY_MEMBER",
    "BAD_DAY",
    "BAD_DAY_KIND",
    "BAD_SLUG",
    "BAD_USERNAME",
    "ESCALATES_TO_SELF",
    "NO_CREDIT_CODE",
    "ROLES",
    "SELF_ADMIN",
    "SELF_DISABLE",
    "SLUG",
    "TAKEN_SLUG",
    "UNKNOWN_GROUP",
    "UNKNOWN_ROLE",
    "UNKNOWN_USER",
    "WEAK_PASSWORD",
    "YEAR_RANGE",
    "GroupRow",
    "NewStaff",
    "UserPage",
    "add_member",
    "create_group",
    "create_staff",
    "group_by_slug",
    "is_admin",
    "list_groups",
    "members",
    "overrides_of_year",
    "parse_day",
    "remove_day",
    "remove_member",
    "require_admin",
    "reset_password",
    "search_users",
    "set_active",
    "set_credit_code_verified",
    "set_day",
    "set_roles",
    "set_supervisor",
    "staff_user",
    "update_group",
    "user_by_name",
]
