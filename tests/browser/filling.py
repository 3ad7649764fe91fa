"""Typing an application into the start form in a real browser, as an applicant would."""

from __future__ import annotations

from typing import Any


def fill_form(page: Any, form: dict[str, str]) -> None:
    """Fill each input named in ``form`` (dotted names for nested fields); fields bound to the
    account (read-only, x-prefill) are left as the page filled them."""
    for name, value in form.items():
        field = page.locator(f'[name="{name}"]')
        if field.first.get_attribute("readonly") is not None:
            continue
        if field.first.get_attribute("type") == "radio":
            page.locator(f'[name="{name}"][value="{value}"]').check()
        elif field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
