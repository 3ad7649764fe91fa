"""The catalogues: every string of the pages translated, and the committed .mo files in step."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "app" / "translations"
LANGUAGES = ["zh_CN", "en"]


# The engine's message templates (app/engine/messages.py): `pybabel extract -k Text -k marked`.
ENGINE_KEYWORDS = {"Text": None, "marked": None}


def _extracted() -> set[str]:
    """The message ids in the sources, extracted as `pybabel extract -F babel.cfg -k Text -k marked`
    does (babel.cfg lists the engine and the services that word problems too)."""
    method_map = read_mappings(ROOT / "babel.cfg")
    keywords = {**DEFAULT_KEYWORDS, **ENGINE_KEYWORDS}
    ids: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, keywords=keywords
    ):
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def read_mappings(path: Path) -> list[tuple[str, str]]:
    """The `[method: pattern]` sections of babel.cfg."""
    with open(path, encoding="utf-8") as f:
        method_map, _options = parse_mapping_cfg(f)
    return method_map


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_is_translated(language: str) -> None:
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    missing = sorted(_extracted() - {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalog if m.id})
    assert missing == [], f"not in {language}/messages.po: run pybabel extract + update"
    untranslated = [
        m.id
        for m in catalog
        if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string]))
    ]
    assert untranslated == []


def _key(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_the_po_file(language: str) -> None:
    folder = TRANSLATIONS / language / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as f:
        po = {_key(m.id): _key(m.string) for m in read_po(f) if m.id}
    with open(folder / "messages.mo", "rb") as f:
        mo = {_key(m.id): _key(m.string) for m in read_mo(f) if m.id}
    assert mo == po, "messages.mo is stale: run pybabel compile -d app/translations"
