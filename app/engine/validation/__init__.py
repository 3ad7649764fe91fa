"""Checks a process file must pass before it can be deployed.

Each problem names the file, the line, the element id, what is wrong and, where there is one,
what to write instead. The loader runs these; `flask processes validate` prints them.
"""

from .case_scope import check_case_scope
from .definitions import check_definitions
from .documents import check_document
from .forms import check_forms, find_form
from .problems import Problem
from .scripts import python_form
from .task_specs import check_specs
from .timers import parse_time_limit
from .unsupported import check_elements

__all__ = [
    "Problem",
    "check_case_scope",
    "check_definitions",
    "check_document",
    "check_elements",
    "check_forms",
    "check_specs",
    "find_form",
    "parse_time_limit",
    "python_form",
]
