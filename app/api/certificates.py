"""Certificates: download a case's certificate PDF; verify any certificate number (public)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from app.limits import client_address, verify_limiter
from app.services import certificates
from app.services.rate_limit import VERIFY_REFUSED

from .common import AUTH, current_user, documented_errors, session
from .schemas import Verification

blp = Blueprint("certificates", __name__, description="Certificates (电子证照)")


@blp.route("/cases/<string:number>/documents/<string:certificate_no>.pdf")
class CertificateDocument(MethodView):
    @blp.response(200, description="the certificate as a PDF", content_type="application/pdf")
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 404)
    def get(self, number: str, certificate_no: str) -> Response:
        """The case's certificate as a PDF: the applicant of the case and staff only (others: 404)."""
        user = current_user(required=True)
        cert = certificates.for_download(session(), user, number, certificate_no)
        response = Response(certificates.render_pdf(session(), cert), mimetype="application/pdf")
        response.headers["Content-Disposition"] = f'attachment; filename="{certificates.pdf_filename(cert)}"'
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "private, no-store"
        return response


@blp.route("/verify/<string:certificate_no>")
class CertificateVerification(MethodView):
    @blp.response(200, Verification)
    @blp.doc(security=[{}])
    @documented_errors(blp, 400, 429)
    def get(self, certificate_no: str) -> dict[str, Any]:
        """Whether a certificate is genuine, with its masked holder, project and validity.

        Anyone may ask. An unknown number, or a certificate whose stored content no longer matches
        its signature, answers `genuine: false` (never an error). Verifications are counted per
        address, with the `/verify` pages: past the limit the answer is 429 with `Retry-After`.
        """
        verify_limiter().take(client_address(), VERIFY_REFUSED)
        return certificates.verification(session(), certificate_no)
