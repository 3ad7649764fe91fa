"""Cases: submit an application; read a case's public view."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from app.errors import NotFound
from app.limits import client_address, lookup_limiter, submit_limiter
from app.services import cases
from app.services.case_view import CaseView as CaseViewModel
from app.services.rate_limit import LOOKUP_REFUSED, SUBMIT_REFUSED

from .common import AUTH, commit, current_user, documented_errors, session
from .schemas import CaseCreate, CaseCreated, CaseQuery, CaseView

blp = Blueprint("cases", __name__, description="Cases (办件)")


@blp.route("/cases")
class CaseList(MethodView):
    @blp.arguments(CaseCreate)
    @blp.response(201, CaseCreated)
    @blp.doc(security=AUTH + [{}])
    @documented_errors(blp, 400, 401, 403, 404, 422, 429)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Submit an application (or, for public processes, a complaint) to start a case.

        The data is validated against the process's start form; every problem is listed at once,
        by field path: the schema's, the form's cross-field rules (`x-rules`, their messages in the
        `Accept-Language`) and fields bound to the caller's account (`x-prefill`: left out, they
        are filled from the account; a different value is refused).
        The query code in the answer is shown only this once. Submissions without an account are
        limited per address (429 with `Retry-After` beyond the limit).
        """
        user = current_user(required=False)
        if user is None:
            submit_limiter().take(client_address(), SUBMIT_REFUSED)
        started = cases.start_case(session(), user, body["process"], body["data"])
        commit()
        number = started.case.number
        return {
            "number": number,
            "query_code": started.query_code,
            "status": started.case.status.value,
            "links": {
                "self": url_for("cases.CaseItem", number=number),
                "status_page": f"/track/{number}",
            },
        }


@blp.route("/cases/<string:number>")
class CaseItem(MethodView):
    @blp.arguments(CaseQuery, location="query")
    @blp.response(200, CaseView)
    @blp.doc(
        security=AUTH + [{}],
        parameters=[
            {
                "in": "header",
                "name": "X-Query-Code",
                "schema": {"type": "string", "maxLength": 40},
                "required": False,
                "description": "the case's query code",
            }
        ],
    )
    @documented_errors(blp, 401, 404, 429)
    def get(self, args: dict[str, Any], number: str) -> CaseViewModel:
        """The case's public view: status, stage, statutory clock, timeline, open requests.

        Staff and the applicant see it with its data; anyone else needs the query code
        (`X-Query-Code` header or `?code=`). Unknown number or wrong code: 404, never which.
        After too many wrong codes from one address, every lookup with a code from it is refused
        with 429 (the right code too) until the window ends (`Retry-After` says when).
        """
        user = current_user(required=False)
        code = request.headers.get("X-Query-Code") or args.get("code")
        limiter = lookup_limiter() if code else None
        if limiter is not None:
            limiter.check(client_address(), LOOKUP_REFUSED)
        try:
            case, with_data = cases.case_for_viewer(session(), number, user, code)
        except NotFound:
            if limiter is not None:
                limiter.hit(client_address())
            raise
        return cases.public_view(session(), case, with_data=with_data)
