"""Languages of the pages: zh-CN (default) and English, chosen by a remembered cookie.

BPMN and forms carry both languages (`name`/`name_en`, `title`/`x-title-en`); :func:`pick`
chooses by the current locale. Dates and times are shown in the platform's time zone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel import Locale, support
from flask import request
from flask_babel import Babel, Domain, get_locale

from app import edge

COOKIE = "lang"
LANGUAGES = {"zh_CN": "中文", "en": "English"}


def _locale(code: str) -> Locale:
    return Locale.parse(code)


def current_language() -> str:
    """`zh_CN` or `en`: the cookie's choice, else the configured default."""
    chosen = request.cookies.get(COOKIE) if request else None
    if chosen in LANGUAGES:
        return str(chosen)
    default = edge.settings().default_locale
    return default if default in LANGUAGES else "zh_CN"


def select_locale() -> Locale:
    return _locale(current_language())


def is_english() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"


def pick(obj: Any, field: str = "name") -> str:
    """The Chinese ``field`` or its English twin (``field_en`` / ``x-…-en``) by the locale."""
    get = obj.get if isinstance(obj, dict) else (lambda k, d=None: getattr(obj, k, d))
    zh = get(field)
    if is_english():
        english = get(f"{field}_en") or get(f"x-{field}-en")
        if english:
            return str(english)
    return "" if zh is None else str(zh)


class CatalogueDomain(Domain):  # type: ignore[misc]
    """Finds `translations/zh_CN` for the locale zh_CN: Babel expands it to zh_Hans_CN and would
    look only for `translations/zh_Hans_CN` and `translations/zh`."""

    def get_translations(self) -> Any:
        locale = get_locale()
        if locale is None:
            return support.NullTranslations()
        key = str(locale)
        cached = self.cache.get(key)
        if cached is None:
            names = [f"{locale.language}_{locale.territory}"] if locale.territory else []
            names += [str(locale), locale.language]
            cached = support.Translations()
            for directory in self.translation_directories:
                catalog = support.Translations.load(directory, names, "messages")
                if isinstance(catalog, support.Translations):  # else: no catalogue, say it in English
                    cached.merge(catalog)
                    # merge() keeps the empty catalogue's plural rule (two forms); Chinese has one.
                    cached.plural = catalog.plural
            self.cache[key] = cached
        return cached


TRANSLATIONS = str(Path(__file__).resolve().parent.parent / "translations")


class PermitFlowBabel(Babel):  # type: ignore[misc]
    """One catalogue domain for every app: the catalogues are read-only files of the package."""

    def __init__(self) -> None:
        super().__init__()
        self._catalogues = CatalogueDomain(translation_directories=[TRANSLATIONS])

    @property
    def domain_instance(self) -> CatalogueDomain:
        return self._catalogues
