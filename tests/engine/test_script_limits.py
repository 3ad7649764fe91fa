"""The limits of one script run, guard by guard, at their edges: what passes at exactly the limit,
what is refused one past it, what each refusal says, and what a run counts towards its total."""

from __future__ import annotations

import time
from typing import Any

import pytest

from app.engine import ScriptRefused
from app.engine import script_limits as limits
from app.engine.script_limits import (
    MAX_BUILT_BYTES,
    MAX_CHARS,
    MAX_INT_BITS,
    MAX_ITEMS,
    MAX_MEMORY_GROWTH,
    ScriptLimitExceeded,
    ScriptRun,
)


def _refused(call: Any) -> str:
    with pytest.raises(ScriptLimitExceeded) as refused:
        call()
    return refused.value.message


def test_the_limit_signal_is_no_exception_and_carries_its_message() -> None:
    signal = ScriptLimitExceeded("stop")
    assert not isinstance(signal, Exception) and signal.message == "stop" and str(signal) == "stop"
    too_big = limits._too_big("op", "huge")
    assert too_big.message == "op: the result would be huge; process scripts are limited"


def test_the_resident_memory_is_read_in_whole_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    size = limits._resident_bytes()
    assert size is not None and size > 1024 * 1024 and size % limits.os.sysconf("SC_PAGE_SIZE") == 0
    # The resident set, as the kernel reports it in /proc/self/status (not the total or shared size).
    with open("/proc/self/status", encoding="ascii") as proc:
        status = proc.read()
    vm_rss = int(status.split("VmRSS:")[1].split()[0]) * 1024
    assert abs(size - vm_rss) < 4 * 1024 * 1024

    def missing(*args: Any, **kwargs: Any) -> Any:
        raise OSError("no /proc")

    monkeypatch.setattr("builtins.open", missing)
    assert limits._resident_bytes() is None


def test_weights_count_characters_and_item_slots() -> None:
    assert [limits._weight(v) for v in ("abc", b"ab", bytearray(b"a"), 12, 1.5, None)] == [3, 2, 1, 0, 0, 0]
    assert [limits._weight(v) for v in ([1, 2], (1,), {1, 2, 3}, frozenset({1}), {1: 2})] == [16, 8, 24, 8, 8]


def test_sequences_are_limited_by_characters_or_by_items() -> None:
    limits._check_sequence("op", "a", MAX_CHARS)
    limits._check_sequence("op", b"a", MAX_CHARS)
    limits._check_sequence("op", [0], MAX_ITEMS)
    assert _refused(lambda: limits._check_sequence("op", "a", MAX_CHARS + 1)) == (
        f"op: the result would be {MAX_CHARS + 1:,} characters long (at most {MAX_CHARS:,}); "
        "process scripts are limited"
    )
    assert _refused(lambda: limits._check_sequence("op", bytearray(), MAX_CHARS + 1)).startswith("op: ")
    assert _refused(lambda: limits._check_sequence("op", (0,), MAX_ITEMS + 1)) == (
        f"op: the result would be {MAX_ITEMS + 1:,} items long (at most {MAX_ITEMS:,}); "
        "process scripts are limited"
    )
    # A text between the two limits is fine; a list of that length is not.
    limits._check_sequence("op", "a", MAX_ITEMS + 1)


def test_integers_are_limited_by_bits_named_in_digits() -> None:
    limits._check_int_bits("**", MAX_INT_BITS)
    message = _refused(lambda: limits._check_int_bits("**", MAX_INT_BITS * 2))
    assert message == (
        f"**: the result would be an integer of about {int(MAX_INT_BITS * 2 * limits._LOG10_2):,} digits "
        "(at most 4,300); process scripts are limited"
    )
    assert "4,300" in _refused(lambda: limits._check_int_bits("**", MAX_INT_BITS + 1))


def test_widths_are_limited_by_value_and_by_length() -> None:
    limits._check_width("format", f">{MAX_CHARS}")
    limits._check_width("format", "0000100")  # seven digits
    assert _refused(lambda: limits._check_width("format", f"{MAX_CHARS + 1}")) == (
        f"format: the result would be {MAX_CHARS + 1} characters wide (at most {MAX_CHARS:,}); "
        "process scripts are limited"
    )
    assert _refused(lambda: limits._check_width("format", "00000001")).startswith("format: ")  # eight
    assert _refused(lambda: limits._check_width("format", f"1.{MAX_CHARS + 1}")).startswith("format: ")


def test_a_new_run_starts_empty_with_its_deadline_ahead() -> None:
    before = time.monotonic()
    run = ScriptRun(2.5)
    after = time.monotonic()
    assert run.seconds == 2.5 and run.tripped is None and run.built == 0 and run.memory_base is None
    assert before + 2.5 <= run.deadline <= after + 2.5
    assert before + limits._MEMORY_EVERY <= run.next_memory_check <= after + limits._MEMORY_EVERY


def test_a_tick_past_the_deadline_stops_the_run_and_is_remembered() -> None:
    run = ScriptRun(60.0)
    run.tick()
    run.deadline = time.monotonic() - 0.001
    run.seconds = 0.5
    assert _refused(run.tick) == "the script ran longer than its budget of 0.5 s"
    assert run.tripped == "the script ran longer than its budget of 0.5 s"
    run.seconds = 2.0
    _refused(run.tick)
    assert run.tripped == "the script ran longer than its budget of 0.5 s"  # the first reason stays


def test_memory_is_looked_at_on_schedule_against_the_first_look(monkeypatch: pytest.MonkeyPatch) -> None:
    resident = [1000]
    monkeypatch.setattr(limits, "_resident_bytes", lambda: resident[0])
    run = ScriptRun(60.0)
    run.tick()  # not due yet
    assert run.memory_base is None
    run.next_memory_check = time.monotonic() - 1
    before = time.monotonic()
    run.tick()
    assert run.memory_base == 1000
    assert before + limits._MEMORY_EVERY <= run.next_memory_check <= time.monotonic() + limits._MEMORY_EVERY
    resident[0] = 1000 + MAX_MEMORY_GROWTH
    run.next_memory_check = time.monotonic() - 1
    run.tick()  # exactly the allowed growth
    resident[0] += 1
    run.tick()  # grown past it, but not looked at yet
    run.next_memory_check = time.monotonic() - 1
    assert _refused(run.tick) == "the script took more than 512 MB of memory"
    assert run.tripped == "the script took more than 512 MB of memory"


def test_memory_that_cannot_be_read_never_stops_a_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "_resident_bytes", lambda: None)
    run = ScriptRun(60.0)
    run.memory_base = 1
    run.next_memory_check = time.monotonic() - 1
    run.tick()
    assert run.memory_base == 1


def test_only_large_results_count_and_the_total_is_limited() -> None:
    run = ScriptRun(60.0)
    small = "a" * (limits._COUNTED - 1)
    assert run.sized(small) is small and run.built == 0
    edge = "a" * limits._COUNTED
    assert run.sized(edge) is edge and run.built == limits._COUNTED
    run.built = MAX_BUILT_BYTES - limits._COUNTED
    run.sized(edge)  # exactly the total
    assert run.built == MAX_BUILT_BYTES
    assert _refused(lambda: run.sized(edge)) == "the script built more than 256 MB of data"
    assert run.tripped == "the script built more than 256 MB of data"


def test_a_guard_passes_what_its_check_allows_and_records_what_it_refuses() -> None:
    run = ScriptRun(60.0)
    run.guard(lambda: None)
    assert run.tripped is None
    too_wide = lambda: limits._check_int_bits("op", MAX_INT_BITS + 99)  # noqa: E731
    assert _refused(lambda: run.guard(too_wide)).startswith("op: ")
    assert run.tripped is not None and run.tripped.startswith("op: the result would be")


def test_adding_sequences_is_limited_and_counted_numbers_are_not() -> None:
    run = ScriptRun(60.0)
    half = "a" * (MAX_CHARS // 2)
    assert run.add(half, half) == half * 2 and run.built == MAX_CHARS
    assert _refused(lambda: run.add(half, half + "a")).startswith("+: ")
    assert run.add(2, 3) == 5 and run.add([1], [2]) == [1, 2] and run.add(b"a", b"b") == b"ab"
    assert run.add((1,), (2,)) == (1, 2)
    with pytest.raises(TypeError):
        run.add([1], (2,))
    # Text plus a number fails as in Python, with Python's own words.
    with pytest.raises(TypeError, match="can only concatenate str"):
        run.add("a", 1)


def test_multiplying_is_limited_for_integers_and_sequences_either_way_round() -> None:
    run = ScriptRun(60.0)
    big = 1 << (MAX_INT_BITS // 2 - 1)
    assert run.mul(big, big) == big * big
    assert _refused(lambda: run.mul(big, big << 2)).startswith("*: ")
    assert run.mul(3, 4) == 12 and run.mul(2.5, 2) == 5.0 and run.mul(2, 2.5) == 5.0
    assert run.mul("ab", 2) == "abab" and run.mul(2, "ab") == "abab" and run.mul([0], -3) == []
    assert run.mul("a", MAX_CHARS) == "a" * MAX_CHARS and run.built == MAX_CHARS
    assert _refused(lambda: run.mul(MAX_CHARS + 1, "a")).startswith("*: ")
    assert _refused(lambda: run.mul([0, 0], MAX_ITEMS // 2 + 1)).startswith("*: ")
    # Zero or fewer times is empty, however long the sequence.
    assert run.mul([0] * (MAX_ITEMS + 1), 0) == [] and run.mul(-1, "a" * (MAX_CHARS + 1)) == ""


def test_powers_are_limited_unless_they_cannot_grow() -> None:
    run = ScriptRun(60.0)
    assert run.power(2, MAX_INT_BITS) == 1 << MAX_INT_BITS
    assert _refused(lambda: run.power(2, MAX_INT_BITS + 1)).startswith("**: ")
    assert _refused(lambda: run.power(-2, MAX_INT_BITS + 1)).startswith("**: ")
    assert run.power(1, 10**12) == 1 and run.power(-1, 10**12 + 1) == -1 and run.power(0, 10**12) == 0
    assert run.power(2, -2) == 0.25 and run.power(2, 0) == 1 and run.power(2.0, 3) == 8.0
    assert run.power(3, 4, 5) == 81 % 5 and run.power(7, 1 << (MAX_INT_BITS - 1), 13) == pow(
        7, 1 << (MAX_INT_BITS - 1), 13
    )
    assert _refused(lambda: run.power(7, 1 << MAX_INT_BITS, 13)).startswith("pow: ")
    assert _refused(lambda: run.power(7, 3, -(1 << MAX_INT_BITS))).startswith("pow: ")
    assert run.pow(2, 10) == 1024 and run.pow(2, 10, 1000) == 24
    assert _refused(lambda: run.pow(2, MAX_INT_BITS + 1)).startswith("**: ")
    # A modulus as wide as the limit is refused from the first power on; a zero power is 1.
    assert _refused(lambda: run.power(7, 1, 1 << MAX_INT_BITS)).startswith("pow: ")
    assert run.power(7, 0, 1 << MAX_INT_BITS) == 1
    # Floats are not integers: they overflow by themselves instead of growing.
    with pytest.raises(OverflowError):
        run.power(2.0, MAX_INT_BITS + 1)
    with pytest.raises(OverflowError):
        run.power(2, float(MAX_INT_BITS + 1))


def test_shifts_are_limited_by_the_bits_of_the_result() -> None:
    run = ScriptRun(60.0)
    assert run.lshift(1, MAX_INT_BITS - 1) == 1 << (MAX_INT_BITS - 1)
    assert _refused(lambda: run.lshift(1, MAX_INT_BITS)).startswith("<<: ")
    widest = 1 << (MAX_INT_BITS - 1)  # already MAX_INT_BITS bits long: shifting by 0 keeps it so
    assert run.lshift(widest, 0) == widest
    assert run.lshift(0, 10**12) == 0 and run.lshift(3, 2) == 12
    with pytest.raises(ValueError, match="negative shift"):
        run.lshift(widest, -1)


def test_percent_formatting_is_limited_by_its_widths_and_result() -> None:
    run = ScriptRun(60.0)
    assert run.mod("%05d|%-3s|%.2f", (7, "a", 1.0)) == "00007|a  |1.00"
    assert run.mod("%(k)4s", {"k": "x"}) == "   x" and run.mod(b"%3d", 5) == b"  5" and run.mod(7, 3) == 1
    assert _refused(lambda: run.mod(f"%{MAX_CHARS + 1}d", 1)).startswith("%: ")
    assert _refused(lambda: run.mod(f"%.{MAX_CHARS + 1}f", 1.0)).startswith("%: ")
    assert _refused(lambda: run.mod(b"%99999999d", 1)).startswith("%: ")
    assert _refused(lambda: run.mod("%*d", (5, 1))) == (
        "%: the result would be as wide as a value says; write the width as a number; "
        "process scripts are limited"
    )
    assert _refused(lambda: run.mod("%.*f", (5, 1.0))).startswith("%: ")
    assert _refused(lambda: run.mod("%s%s", ("a" * MAX_CHARS, "a"))).startswith("%: ")
    assert run.mod("%s", "a" * limits._COUNTED) and run.built == limits._COUNTED


@pytest.mark.parametrize(
    ("op", "a", "b", "result"),
    [
        ("+=", 5, 2, 7),
        ("-=", 5, 2, 3),
        ("*=", 5, 2, 10),
        ("/=", 5, 2, 2.5),
        ("//=", 5, 2, 2),
        ("%=", 5, 2, 1),
        ("**=", 5, 2, 25),
        ("|=", 5, 2, 7),
        ("&=", 5, 4, 4),
    ],
)
def test_each_inplace_operator_does_its_own_operation(op: str, a: int, b: int, result: float) -> None:
    assert ScriptRun(60.0).inplace(op, a, b) == result


def test_inplace_operators_go_through_the_guards_and_others_are_refused() -> None:
    run = ScriptRun(60.0)
    assert _refused(lambda: run.inplace("*=", "ab", MAX_CHARS)).startswith("*: ")
    assert _refused(lambda: run.inplace("**=", 2, MAX_INT_BITS + 1)).startswith("**: ")
    assert _refused(lambda: run.inplace("+=", "a" * MAX_CHARS, "a")).startswith("+: ")
    assert _refused(lambda: run.inplace("%=", f"%{MAX_CHARS + 1}d", 1)).startswith("%: ")
    with pytest.raises(ScriptRefused) as refused:
        run.inplace("<<=", 1, 2)
    assert refused.value.message == "operator <<= is not allowed in process scripts"


def test_f_string_fields_convert_and_limit_their_width() -> None:
    run = ScriptRun(60.0)
    assert run.formatted("a", ord("r"), ">5") == "  'a'"
    assert run.formatted(1, ord("s"), ">3") == "  1"
    assert run.formatted("é", ord("a"), ">8") == "  '\\xe9'"
    assert run.formatted(3.14159, -1, ".2f") == "3.14"
    assert run.formatted([1], ord("s"), ">5") == "  [1]"  # a list has no width of its own
    assert _refused(lambda: run.formatted(1, -1, f">{MAX_CHARS + 1}")).startswith("format: ")
    assert run.joined("abc") == "abc" and run.built == 0
    assert run.joined("a" * limits._COUNTED) and run.built == limits._COUNTED
    assert _refused(lambda: run.joined("a" * (MAX_CHARS + 1))).startswith("f-string: ")


def test_slices_are_weighed_and_items_are_not() -> None:
    run = ScriptRun(60.0)
    items = list(range(limits._COUNTED))
    assert run.getitem(items, 3) == 3 and run.built == 0
    assert run.getitem(items, slice(None)) == items and run.built == 8 * limits._COUNTED
    assert run.getitem({"k": "v"}, "k") == "v"


def test_attributes_are_read_safely_and_growing_methods_are_guarded() -> None:
    run = ScriptRun(60.0)
    assert run.getattr("abc", "upper")() == "ABC" and run.getattr([], "nothing", 5) == 5
    with pytest.raises(Exception, match="_"):
        run.getattr("abc", "__class__")
    for name in ("ljust", "rjust", "center", "zfill"):
        assert len(run.getattr("ab", name)(5)) == 5
        assert _refused(lambda n=name: run.getattr("ab", n)(MAX_CHARS + 1)).startswith(f"str.{name}: ")
    assert run.getattr("ab", "ljust")(4, "*") == "ab**" and run.getattr(b"ab", "rjust")(3) == b" ab"
    assert run.getattr("ab", "center")(6, "*") == "**ab**" and run.getattr("7", "zfill")(3) == "007"
    assert run.getattr([1], "append") is not None and run.getattr((1,), "count")(1) == 1
    run.built = 0
    assert run.getattr("a", "ljust")(limits._COUNTED) and run.built == limits._COUNTED
    with pytest.raises(TypeError, match="ljust"):
        run.getattr("a", "ljust")()
    assert len(run.getattr("a", "ljust")(MAX_ITEMS + 1)) == MAX_ITEMS + 1  # text: limited by characters


def test_expandtabs_is_limited_by_its_tabs_times_the_tab_size() -> None:
    run = ScriptRun(60.0)
    assert run.getattr("a\tb", "expandtabs")() == "a       b"
    assert run.getattr("a\tb", "expandtabs")(2) == "a b"
    assert run.getattr(b"\t", "expandtabs")(3) == b"   " and run.getattr("\t", "expandtabs")(-1) == ""
    tabs = "\t" * 4
    assert len(run.getattr(tabs, "expandtabs")(MAX_CHARS // 4 - 1)) == MAX_CHARS - 4
    assert _refused(lambda: run.getattr(tabs, "expandtabs")(MAX_CHARS // 4)).startswith("expandtabs: ")
    assert _refused(lambda: run.getattr(b"\t\t", "expandtabs")(MAX_CHARS // 2)).startswith("expandtabs: ")
    run.built = 0
    assert run.getattr("\t", "expandtabs")(limits._COUNTED) and run.built == limits._COUNTED
    many = "\t" * (MAX_CHARS // 2 + 1)  # a tab size of 0 or less removes the tabs
    assert run.getattr(many, "expandtabs")(0) == "" and run.getattr(many, "expandtabs")(-3) == ""


def test_replace_is_limited_by_what_each_replacement_adds() -> None:
    run = ScriptRun(60.0)
    assert run.getattr("aXa", "replace")("a", "bb") == "bbXbb"
    assert run.getattr("aaa", "replace")("a", "b", 2) == "bba"
    assert run.getattr("ab", "replace")("", "-") == "-a-b-"
    assert run.getattr(b"ab", "replace")(b"a", b"c") == b"cb"
    wide = "w" * (MAX_CHARS // 2 - 1)
    assert len(run.getattr("aa", "replace")("a", wide)) == MAX_CHARS - 2
    assert _refused(lambda: run.getattr("aaa", "replace")("a", wide)).startswith("replace: ")
    assert run.getattr("aaa", "replace")("a", wide, 0) == "aaa"  # nothing replaced: nothing added
    assert len(run.getattr("aaa", "replace")("a", wide, 1)) == MAX_CHARS // 2 + 1
    assert _refused(lambda: run.getattr("ab", "replace")("", wide)).startswith("replace: ")  # 3 places
    widest = "w" * ((MAX_CHARS - 1) // 2)  # "a" has 2 places: before and after it
    assert len(run.getattr("a", "replace")("", widest)) == MAX_CHARS - 1
    run.built = 0
    assert run.getattr("a", "replace")("a", "b" * limits._COUNTED) and run.built == limits._COUNTED


def test_join_is_limited_by_its_parts_and_separators() -> None:
    run = ScriptRun(60.0)
    assert run.getattr("-", "join")(iter(["a", "b", "c"])) == "a-b-c"
    assert run.getattr(b",", "join")([b"x"]) == b"x"
    part = "p" * (MAX_CHARS // 2 - 1)
    assert len(run.getattr("-", "join")([part, part])) == MAX_CHARS - 1
    assert _refused(lambda: run.getattr("--", "join")([part, part])).startswith("join: ")
    assert _refused(lambda: run.getattr("-", "join")([part, part, "a"])).startswith("join: ")
    with pytest.raises(TypeError):
        run.getattr("-", "join")([part, 5])
    run.built = 0
    assert run.getattr("", "join")(["a" * limits._COUNTED]) and run.built == limits._COUNTED


def test_translate_is_limited_by_its_longest_replacement() -> None:
    run = ScriptRun(60.0)
    assert run.getattr("ab", "translate")({ord("a"): "xyz"}) == "xyzb"
    assert run.getattr("ab", "translate")({ord("a"): None, ord("b"): 66}) == "B"
    assert run.getattr(b"ab", "translate")(None, b"a") == b"b"
    text = "a" * (MAX_CHARS // 4)
    assert len(run.getattr(text, "translate")({ord("a"): "wxyz"})) == MAX_CHARS
    assert _refused(lambda: run.getattr(text + "a", "translate")({ord("a"): "wxyz", 1: 5})).startswith(
        "translate: "
    )
    assert len(run.getattr("a" * MAX_CHARS, "translate")({})) == MAX_CHARS  # no replacement: as long
    run.built = 0
    assert run.getattr("a" * limits._COUNTED, "translate")({}) and run.built == limits._COUNTED


def test_extending_a_list_is_limited_and_keeps_it_within_the_limit() -> None:
    run = ScriptRun(60.0)
    items: list[int] = [1]
    run.getattr(items, "extend")([2, 3])
    assert items == [1, 2, 3] and run.built == 0
    full = [0] * (MAX_ITEMS - 1)
    run.getattr(full, "extend")([1])
    assert len(full) == MAX_ITEMS and run.built == 8 * MAX_ITEMS
    message = _refused(lambda: run.getattr(full, "extend")(range(10)))
    assert (
        message.startswith(f"extend: the result would be {MAX_ITEMS + 10:,} items") and len(full) == MAX_ITEMS
    )
    assert run.tripped is not None and run.tripped.startswith("extend: ")


def test_sum_adds_numbers_only() -> None:
    run = ScriptRun(60.0)
    assert run.sum([1, 2]) == 3 and run.sum([1.5], 1.0) == 2.5
    assert run.sum([1j], 1j) == 2j and run.sum([], 4) == 4
    said = "sum() adds numbers only in process scripts; join lists with a loop"
    assert _refused(lambda: run.sum([[1]], [])) == said
    assert run.tripped == said
    assert _refused(lambda: run.sum(["a"], "")).startswith("sum() adds numbers only")


def test_checked_length_passes_what_is_no_sequence() -> None:
    assert limits._checked_length("op", 5) == 5 and limits._checked_length("op", "abc") == "abc"
    text = "a" * (MAX_ITEMS + 1)  # a text is limited by characters, not by the items of a list
    assert limits._checked_length("op", text) is text
    assert _refused(lambda: limits._checked_length("op", [0] * (MAX_ITEMS + 1))).startswith("op: ")
