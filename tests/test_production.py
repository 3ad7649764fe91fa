"""Production refuses to start without its keys; certificates name their key, so keys can rotate."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from app import create_app
from app.config import Settings
from app.errors import SettingMissing
from app.models import Certificate
from app.services import certificate_signing as certificates


def _production(tmp_path: Path, **overrides: str) -> None:
    redis = "redis://127.0.0.1:6379/0"
    create_app({"env": "production", "instance_path": str(tmp_path), "redis_url": redis, **overrides})


def test_production_refuses_to_start_without_the_secret_key(tmp_path: Path) -> None:
    with pytest.raises(SettingMissing, match="SECRET_KEY") as err:
        _production(tmp_path, cert_key="cert-key")
    assert "PERMITFLOW_CERT_KEY" not in str(err.value)
    assert not (tmp_path / "secret_key").exists()  # no key generated per machine


def test_production_refuses_to_start_without_the_certificate_key(tmp_path: Path) -> None:
    with pytest.raises(SettingMissing, match="PERMITFLOW_CERT_KEY"):
        _production(tmp_path, secret_key="secret")


def test_production_names_every_missing_key_from_the_environment(tmp_path: Path) -> None:
    settings = Settings.from_env({"PERMITFLOW_ENV": "production", "PERMITFLOW_INSTANCE": str(tmp_path)})
    with pytest.raises(SettingMissing, match="SECRET_KEY and PERMITFLOW_CERT_KEY"):
        settings.resolved()


def test_production_starts_with_both_keys_and_development_without(tmp_path: Path) -> None:
    _production(tmp_path / "prod", secret_key="secret", cert_key="cert-key")
    create_app({"instance_path": str(tmp_path / "dev"), "redis_url": "redis://127.0.0.1:6379/0"})


def _certificate() -> Certificate:
    return Certificate(
        number="202600000042",
        case_id=7,
        kind="permit",
        holder_name="北湖建设有限公司",
        holder_credit_code=None,
        project_name="安置房二期",
        project_code=None,
        location=None,
        floor_area=1200.0,
        investment=None,
        issuer="住房和城乡建设局",
        issued_at=datetime(2026, 5, 1, 9, 30),
        valid_until=date(2029, 5, 1),
        signature="",
        revoked_at=None,
    )


def test_every_machine_with_the_certificate_key_verifies_what_another_signed() -> None:
    first = Settings(secret_key="machine-one", cert_key="shared-cert-key")
    second = Settings(secret_key="machine-two", cert_key="shared-cert-key")
    cert = _certificate()
    certificates.seal(first, cert)
    assert cert.key_id == certificates.key_id("shared-cert-key")
    assert certificates.is_genuine(second, cert)


def test_after_a_rotation_old_certificates_still_verify_and_new_ones_use_the_new_key() -> None:
    old = Settings(secret_key="s", cert_key="key-2025")
    rotated = Settings(secret_key="s", cert_key="key-2026", cert_old_keys="key-2024, key-2025")
    cert = _certificate()
    certificates.seal(old, cert)
    assert certificates.is_genuine(rotated, cert)
    assert not certificates.is_genuine(Settings(secret_key="s", cert_key="key-2026"), cert)  # key dropped
    fresh = _certificate()
    certificates.seal(rotated, fresh)
    assert fresh.key_id == certificates.key_id("key-2026") != cert.key_id
    cert.holder_name = "冒名公司"
    assert not certificates.is_genuine(rotated, cert)


def test_certificates_from_before_key_ids_verify_with_the_secret_key() -> None:
    legacy = Settings(secret_key="the-secret")
    cert = _certificate()
    cert.signature = certificates.sign(legacy, cert)  # key_id None, as every earlier certificate
    assert cert.key_id is None
    assert certificates.is_genuine(Settings(secret_key="the-secret", cert_key="new-key"), cert)
    assert not certificates.is_genuine(Settings(secret_key="other", cert_key="new-key"), cert)
