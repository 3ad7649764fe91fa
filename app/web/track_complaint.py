"""A complaint's status page in the complainant's words: what was filed, with thumbnails of the
evidence photos, and the handling deadline (services/complaint_view.py decides who sees it)."""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from app.downloads import download_response
from app.errors import NotFound
from app.services import attachments, complaint_view, process_traits
from app.services.case_access import access_to_case

from . import common
from .track import bp
from .track_access import clean, granted, viewable


@bp.route("/track/<number>/evidence/<uid>")
def evidence_photo(number: str, uid: str) -> ResponseReturnValue:
    """An evidence photo of a complaint, shown inline to whoever may see what was filed."""
    found = viewable(clean(number, 40).upper())
    if found is None:
        raise NotFound("no such attachment on this case")
    case, user = found
    db = common.session()
    access = access_to_case(db, case, user)
    complaint = process_traits.of_case(db, case).complaint
    if not complaint_view.may_see_filed(access, complaint=complaint, code_proved=granted(case)):
        raise NotFound("no such attachment on this case")
    stored = attachments.stored_file(db, case, clean(uid, 32), kind=complaint_view.EVIDENCE)
    return download_response(stored, inline=True)
