"""File names and content types of uploads, without a database."""

from __future__ import annotations

import pytest

from app.errors import UnsupportedType
from app.services.attachments import clean_filename, detect_type


@pytest.mark.parametrize(
    ("name", "clean"),
    [
        ("..\\..\\windows\\system32\\x.pdf", "x.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\a\\合同.pdf", "合同.pdf"),
        (".hidden.pdf", "hidden.pdf"),
        ("a\x00b\r\n.pdf", "ab.pdf"),
        ("", "file"),
        (None, "file"),
        ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
    ],
)
def test_clean_filename_keeps_only_a_harmless_last_part(name: str | None, clean: str) -> None:
    assert clean_filename(name) == clean


def test_types_come_from_the_content() -> None:
    assert detect_type(b"%PDF-1.4\n%%EOF") == "application/pdf"
    with pytest.raises(UnsupportedType, match="executable"):
        detect_type(b"\xcf\xfa\xed\xfe" + b"\x00" * 40)  # Mach-O
    with pytest.raises(UnsupportedType, match="only PDF, JPEG and PNG"):
        detect_type(b"GIF89a" + b"\x00" * 40)
