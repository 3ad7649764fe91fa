"""Personal data at rest (issue 15): phone numbers are stored encrypted (AES-GCM), found by a keyed
hash, shown masked on pages as before, and survive a key rotation."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select, text

from app import edge
from app.models import User
from app.services import pii
from app.services.accounts import Registration, create_applicant
from app.services.demo import APPLICANTS

PHONE = APPLICANTS[0][3]


def _raw(db: Any, username: str) -> tuple[str, str]:
    row = db.execute(text('SELECT phone, phone_hash FROM "user" WHERE username = :u'), {"u": username}).one()
    return row[0], row[1]


def test_the_raw_row_holds_no_plain_phone_number(app: Any, db: Any) -> None:
    stored, digest = _raw(db, "acme")
    assert PHONE not in stored and PHONE[-4:] not in stored and stored.startswith("pii1:")
    assert PHONE not in digest
    user = db.scalar(select(User).where(User.username == "acme"))
    assert pii.phone_of(db, user) == PHONE
    assert [u.username for u in pii.users_with_phone(db, f" {PHONE} ")] == ["acme"]


def test_a_registration_stores_its_phone_encrypted(app: Any, db: Any) -> None:
    reg = Registration(
        kind="citizen",
        username="pii_citizen",
        password="a-long-pass-phrase-1",
        name="李四",
        phone="13700001111",
        email="lisi@example.com",
        contact_name="",
        credit_code="",
    )
    user = create_applicant(db, reg)
    db.flush()
    stored, _digest = _raw(db, "pii_citizen")
    assert "13700001111" not in stored
    assert pii.phone_of(db, user) == "13700001111"
    db.rollback()


def test_ciphertexts_differ_and_a_changed_one_does_not_decrypt(app: Any) -> None:
    c = pii.PiiCipher.of(edge.of(app).settings)
    one, two = c.encrypt(PHONE), c.encrypt(PHONE)
    assert one != two and c.decrypt(one) == c.decrypt(two) == PHONE
    assert c.lookup_hash(PHONE) == c.lookup_hash(PHONE.replace("138", "138 "))
    tampered = one[:-6] + ("A" if one[-6] != "A" else "B") + one[-5:]  # type: ignore[index]
    with pytest.raises(ValueError, match="does not decrypt"):
        c.decrypt(tampered)
    assert c.decrypt("13800000000") == "13800000000"  # stored before encryption: as it is


def test_a_rotated_key_reads_old_values_and_rotate_moves_them(app: Any, db: Any) -> None:
    settings = edge.of(app).settings
    old = pii.PiiCipher.of(settings)
    rotated = replace(settings, pii_key="a-new-pii-key", pii_old_keys=settings.pii_key or settings.secret_key)
    new = pii.PiiCipher.of(rotated)
    stored, _ = _raw(db, "acme")
    assert new.decrypt(stored) == PHONE and not new.is_current(stored)
    stranger = pii.PiiCipher.of(replace(settings, pii_key="unknown", pii_old_keys=""))
    with pytest.raises(ValueError, match="unknown key"):
        stranger.decrypt(stored)
    assert old.current_id != new.current_id


def test_flask_pii_rotate_encrypts_numbers_stored_before_encryption(app: Any, db: Any) -> None:
    db.execute(text("UPDATE \"user\" SET phone = :p WHERE username = 'buildco'"), {"p": APPLICANTS[1][3]})
    db.commit()
    result = app.test_cli_runner().invoke(args=["pii", "rotate"])
    assert result.exit_code == 0 and "re-encrypted 1 phone number(s)" in result.output
    stored, digest = _raw(db, "buildco")
    assert APPLICANTS[1][3] not in stored and digest
    db.rollback()  # end this session's read before the command writes
    assert app.test_cli_runner().invoke(args=["pii", "rotate"]).output.startswith("re-encrypted 0")
