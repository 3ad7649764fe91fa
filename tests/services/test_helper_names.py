"""The names check knows exactly the helpers the platform gives process code."""

from __future__ import annotations

from typing import Any

from app.engine.validation.names import HELPERS
from app.services import platform


def test_the_names_check_knows_the_platforms_helpers(app: Any, db: Any) -> None:
    plat = platform.of(db)
    given = set(plat.runtime.helpers) | set(platform.process_helpers(db))
    # The runtime adds due_of wherever due_in is given (app/engine/runtime.py).
    given |= {"due_of"} if "due_in" in given else set()
    assert given == set(HELPERS)
