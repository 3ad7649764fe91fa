"""The case search: `GET /api/v1/search?q=…` for staff (services/search.py)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.models import CaseStatus
from app.services import search

from .common import AUTH, documented_errors, require_user, session

blp = Blueprint("search", __name__, description="Case search")


class SearchArgs(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=200))
    process = fields.String(validate=validate.Length(max=64))
    status = fields.Enum(CaseStatus, by_value=True)
    submitted_from = fields.Date(metadata={"description": "first day (local date), included"})
    submitted_to = fields.Date(metadata={"description": "last day (local date), included"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=search.MAX_PER_PAGE))


class SearchItem(Schema):
    number = fields.String(required=True)
    process = fields.String(required=True)
    project_name = fields.String(allow_none=True)
    status = fields.String(required=True)
    submitted_at = fields.DateTime(required=True)
    highlight = fields.String(
        required=True, metadata={"description": "escaped HTML excerpt, the matches in <mark>"}
    )


class SearchResult(Schema):
    items = fields.List(fields.Nested(SearchItem), required=True)
    total = fields.Integer(required=True, metadata={"description": f"at most {search.CANDIDATES}"})
    total_exact = fields.Boolean(required=True, metadata={"description": "false: more cases match"})


@blp.route("/search")
class Search(MethodView):
    @blp.arguments(SearchArgs, location="query")
    @blp.response(200, SearchResult)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 403, 422)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Cases the caller may read whose text holds `q` (two Chinese characters of a project's
        name, part of an address, a company's or applicant's name, a case number, words of a form,
        an opinion, a complaint), best first, filtered by `process`, `status` and the submission
        date. Staff only."""
        found = search.search_cases(session(), require_user(), search.SearchQuery(**args))
        return {
            "items": [
                {
                    "number": hit.number,
                    "process": hit.process,
                    "project_name": hit.project_name,
                    "status": hit.status.value,
                    "submitted_at": hit.submitted_at,
                    "highlight": str(hit.highlight),
                }
                for hit in found.items
            ],
            "total": found.total,
            "total_exact": found.total_exact,
        }
