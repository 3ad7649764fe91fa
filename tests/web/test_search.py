"""The case search (issue 20): Chinese text found by two characters, an address fragment or a
company's name, highlighted and escaped; never by a sealed personal value; staff only; and the
inbox's `q` and the public disclosure search answer from the same index within their own rules."""

from __future__ import annotations

from typing import Any

from tests.helpers import submit_permit

COMPLAINT = {
    "process": "complaint_handling",
    "data": {
        "category": "noise_dust",
        "location": "北湖区滨江路88号工地",
        "description": "工地每晚22点后仍在施工，<b>噪声</b>扰民。",
        "contact": {"name": "李小明", "phone": "13912345678"},
    },
}


def _search(api: Any, user: str | None, q: str, **args: str) -> Any:
    return api.get("/api/v1/search", user, query_string={"q": q, **args})


def _numbers(response: Any) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["number"] for item in response.get_json()["items"]]


def test_search_finds_chinese_text_within_each_roles_view(api: Any, pages: Any) -> None:
    permit = submit_permit(api, "翠湖花园二期")["number"]
    other = submit_permit(api, "江南水岸")["number"]
    filed = api.post("/api/v1/cases", json=COMPLAINT)
    assert filed.status_code == 201, filed.get_json()
    complaint = filed.get_json()["number"]

    found = _search(api, "planner", "翠湖")  # two characters of the project's name
    assert _numbers(_search(api, "planner", "翠湖", submitted_to="9999-12-31")) == [permit]  # no overflow
    assert _numbers(found) == [permit]
    assert "<mark>翠湖</mark>" in found.get_json()["items"][0]["highlight"]
    assert set(_numbers(_search(api, "planner", "北湖城市建设"))) == {permit, other}  # the applicant
    hit = _search(api, "dispatcher", "滨江路88")  # an address fragment
    assert _numbers(hit) == [complaint]
    described = _search(api, "dispatcher", "扰民").get_json()["items"][0]["highlight"]
    assert "&lt;b&gt;" in described and "<b>" not in described  # what was written, escaped
    assert _numbers(_search(api, "planner", "翠湖", status="approved")) == []
    assert _numbers(_search(api, "planner", "翠湖", process="complaint_handling")) == []
    # Sealed personal values are not indexed: nobody finds the complainant by name or phone.
    assert _numbers(_search(api, "dispatcher", "李小明")) == []
    assert _numbers(_search(api, "dispatcher", "13912345678")) == []
    # Staff only; the inbox finds only tasks the reviewer's groups hold; the public search only
    # what is published.
    assert _search(api, "acme", "翠湖").status_code == 403
    assert _search(api, None, "翠湖").status_code == 401
    clerk = api.get("/api/v1/tasks", "clerk", query_string={"q": "翠湖"}).get_json()["items"]
    assert [t["case_number"] for t in clerk] == [permit]
    assert api.get("/api/v1/tasks", "planner", query_string={"q": "翠湖"}).get_json()["items"] == []
    assert permit not in pages(None).get("/disclosure?q=翠湖").get_data(as_text=True)
    assert _search(api, "planner", "%").get_json()["items"] == []


def test_the_triage_task_lists_similar_open_complaints_and_merges_with_one_click(
    api: Any, pages: Any, db: Any
) -> None:
    from sqlalchemy import select

    from app.models import Case
    from tests.helpers import inbox_task

    first = api.post("/api/v1/cases", json=COMPLAINT).get_json()["number"]
    other = {**COMPLAINT["data"], "category": "wage_arrears"}  # same place, another category
    api.post("/api/v1/cases", json={"process": "complaint_handling", "data": other})
    again = {**COMPLAINT["data"], "location": "滨江路88号工地门口", "description": "夜间施工噪声大"}
    second = api.post("/api/v1/cases", json={"process": "complaint_handling", "data": again}).get_json()
    task = inbox_task(api, "dispatcher", second["number"])
    desk = pages("dispatcher")
    desk.set_language("en")
    html = desk.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert f"Merge into {first}" in html and html.count("Merge into ") == 1
    merged = desk.post(
        f"/tasks/{task['id']}/complete",
        {"decision": "duplicate", "duplicate_of": first},
        page=f"/tasks/{task['id']}",
    )
    assert merged.status_code == 302
    case = db.scalar(select(Case).where(Case.number == second["number"]))
    assert case.status.value == "closed" and case.data["duplicate_of"] == first
