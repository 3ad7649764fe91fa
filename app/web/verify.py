"""The public verification page of a certificate, `/verify/<number>` (the link in its QR code),
and the certificate's PDF for the case's applicant and staff, `/track/<number>/documents/<no>.pdf`."""

from __future__ import annotations

from flask import Blueprint, Response, render_template
from flask.typing import ResponseReturnValue

from app.limits import client_address, verify_limiter
from app.services import certificates
from app.services.rate_limit import VERIFY_REFUSED

from . import common
from .auth import current_user, login_required

bp = Blueprint("verify", __name__)


@bp.route("/verify/<certificate_no>")
def verify_certificate(certificate_no: str) -> ResponseReturnValue:
    """Anyone: whether the certificate is genuine; holder masked. Not genuine is a 200 page too.

    Counted per address with the API's verifications, so numbers cannot be enumerated quickly."""
    verify_limiter().take(client_address(), VERIFY_REFUSED)
    result = certificates.verification(common.session(), certificate_no)
    response = Response(render_template("verify.html", result=result))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.route("/track/<number>/documents/<certificate_no>.pdf")
@login_required
def download_certificate(number: str, certificate_no: str) -> ResponseReturnValue:
    """The certificate PDF, for the applicant of the case and staff only (others: 404)."""
    cert = certificates.for_download(common.session(), current_user(), number.upper(), certificate_no)
    response = Response(certificates.render_pdf(common.session(), cert), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{certificates.pdf_filename(cert)}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
