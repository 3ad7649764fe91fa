"""What a version's metadata keeps of its task specs and properties: tasks with their forms and
limits, end statuses, lanes used, and the traits the process declares about itself (complaint
semantics, rating, certificates), so that the platform never names a process in code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class TaskMeta:
    """What the version's metadata keeps of the task specs, collected one spec at a time."""

    tasks: dict[str, Any] = field(default_factory=dict)
    # Elements that are not human tasks naming a form: a message catch event or receive task's
    # schema of the payload it takes (bpmn id → form name).
    message_forms: dict[str, str] = field(default_factory=dict)
    end_statuses: dict[str, str] = field(default_factory=dict)
    lanes_used: dict[str, str] = field(default_factory=dict)
    rating: dict[str, Any] | None = None
    certificates: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_meta(self) -> dict[str, Any]:
        """What the version's metadata keeps of them (merged into it by the loader)."""
        return {
            "rating": self.rating,
            "certificates": dict(sorted(self.certificates.items())),
            "tasks": self.tasks,
            "message_forms": dict(sorted(self.message_forms.items())),
            "end_statuses": self.end_statuses,
            "lane_groups": dict(sorted(self.lanes_used.items())),
        }

    def add(self, task_spec: Any, process_id: str, *, own: bool, lane_groups: dict[str, str]) -> None:
        """``own``: the spec belongs to the process itself (not to one it calls)."""
        ext = getattr(task_spec, "extensions", {}) or {}
        task_props = ext.get("properties", {}) or {}
        lane = getattr(task_spec, "lane", None)
        if lane:
            self.lanes_used[lane] = lane_groups.get(lane, lane)
        manual = getattr(task_spec, "manual", False)
        if manual:
            self.tasks[task_spec.bpmn_id] = {
                "process_id": process_id,
                "name": task_spec.bpmn_name or task_spec.bpmn_id,
                "name_en": task_props.get("name_en") or task_spec.bpmn_name or task_spec.bpmn_id,
                "lane": lane,
                "group": lane_groups.get(lane, lane) if lane else None,
                "form": task_props.get("formJsonSchemaFilename"),
                "time_limit": task_props.get("time_limit"),
                "clock_paused": task_props.get("clock") == "paused",
                **_merge_meta(task_props),
            }
        elif task_props.get("formJsonSchemaFilename") and getattr(task_spec, "bpmn_id", None):
            self.message_forms[task_spec.bpmn_id] = task_props["formJsonSchemaFilename"]
        if not own:
            return
        if "case_status" in task_props:
            self.end_statuses[task_spec.bpmn_id] = task_props["case_status"]
        if manual and task_props.get("rating", "").strip():
            self.rating = _rating_meta(task_spec.bpmn_id, task_props)
        if task_props.get("certificate", "").strip():
            self.certificates[task_props["certificate"].strip()] = _certificate_meta(task_props)


CASE_KINDS = ("application", "complaint")


def case_kind(props: dict[str, str]) -> str:
    """The process property ``case_kind``: ``complaint`` (filed by a complainant, rated, counted
    among complaints) or ``application`` (the default; also for values the platform does not know)."""
    kind = props.get("case_kind", "").strip().lower()
    return kind if kind in CASE_KINDS else "application"


def _merge_meta(props: dict[str, str]) -> dict[str, Any]:
    """A task that merges its case into another (a complaint's triage): ``merge_field`` names the
    form field taking the other case's number, ``merge_values`` what else the merge submits
    (``decision=duplicate``); ``similar_same`` the data fields similar cases share (``category``)
    and ``similar_text`` those whose text overlaps (``location,description``)."""
    field = props.get("merge_field", "").strip()
    if not field:
        return {}
    values = dict(pair.split("=", 1) for pair in _values(props.get("merge_values"), "") if "=" in pair)
    return {
        "merge": {
            "field": field,
            "values": {k.strip(): v.strip() for k, v in values.items()},
            "same": _values(props.get("similar_same"), ""),
            "text": _values(props.get("similar_text"), ""),
        }
    }


def _values(text: str | None, default: str) -> list[str]:
    return [v.strip() for v in (text if text is not None else default).split(",") if v.strip()]


def _rating_meta(bpmn_id: str, props: dict[str, str]) -> dict[str, Any]:
    """A user task with the property ``rating`` is where the person who filed the case rates the
    answer: ``rating`` names the data field the rating is written to; ``rating_satisfied`` and
    ``rating_not_satisfied`` (comma-separated values) say which answers count as satisfied and
    not satisfied in the statistics."""
    return {
        "task": bpmn_id,
        "field": props["rating"].strip(),
        "satisfied": _values(props.get("rating_satisfied"), "satisfied"),
        "not_satisfied": _values(props.get("rating_not_satisfied"), "not_satisfied"),
    }


def _certificate_meta(props: dict[str, str]) -> dict[str, Any]:
    """An end event with the property ``certificate`` (the certificate type) issues one: its title
    (``certificate_title``, ``certificate_title_en``), the data field holding the end of its
    validity (``certificate_valid_until``, a field name or a dotted path into a form's answer) and
    the validity in years when that field is empty (``certificate_valid_years``)."""
    kind = props["certificate"].strip()
    years = props.get("certificate_valid_years", "").strip()
    return {
        "type": kind,
        "title": props.get("certificate_title") or kind,
        "title_en": props.get("certificate_title_en") or props.get("certificate_title") or kind,
        "valid_until": (props.get("certificate_valid_until") or "").strip() or None,
        "valid_years": int(years) if years.isdigit() and int(years) > 0 else None,
        "issuer": props.get("certificate_issuer") or None,
    }


# Process properties a service guide (办事指南) prints as they are, each with an English twin
# (``<name>_en``): what the process is for, who may apply, its fees and its legal basis.
GUIDE_PROPERTIES = ("purpose", "applicants", "fees", "legal_basis")


def guide_meta(props: dict[str, str]) -> dict[str, str]:
    """The guide's texts from the process properties; absent ones are left out."""
    found: dict[str, str] = {}
    for name in GUIDE_PROPERTIES:
        for key in (name, f"{name}_en"):
            value = (props.get(key) or "").strip()
            if value:
                found[key] = value
    # 信息公开: the end statuses whose finished cases the public disclosure lists (comma-separated).
    disclose = ",".join(v.strip() for v in (props.get("disclose") or "").split(",") if v.strip())
    if disclose:
        found["disclose"] = disclose
    # 信息发布: the data key of the notice an approved case of this process publishes.
    notice = (props.get("notice") or "").strip()
    if notice:
        found["notice"] = notice
    return found
