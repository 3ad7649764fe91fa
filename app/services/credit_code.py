"""The unified social credit code (统一社会信用代码) of GB 32100-2015: 18 characters, the last a
check character computed from the first 17."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid_credit_code(code: object) -> bool:
    """True when ``code`` is 18 characters of the code's alphabet with a correct check character."""
    if not isinstance(code, str) or len(code) != 18:
        return False
    code = code.upper()
    if any(ch not in ALPHABET for ch in code):
        return False
    return check_character(code[:17]) == code[17]


def mask_credit_code(code: str | None) -> str | None:
    """Public pages show a credit code with its last 6 characters masked."""
    if not code:
        return code
    return code[:-6] + "******" if len(code) > 6 else "******"


def mask_phone(phone: str | None) -> str | None:
    """Public pages show only the first 3 and last 4 digits of a phone number."""
    if not phone:
        return phone
    return phone[:3] + "*" * max(len(phone) - 7, 0) + phone[-4:] if len(phone) > 7 else "****"
