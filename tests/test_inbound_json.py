"""The JSON edge every platform reads through: NUL dropped everywhere, depth bounded."""

from __future__ import annotations

import pytest

from adapters.inbound_json import MAX_DEPTH, UnreadableJson, loads


def test_nul_is_dropped_from_strings_and_keys_at_any_depth() -> None:
    raw = '{"te\\u0000xt": "he\\u0000llo", "list": [{"name": "No\\u0000or"}, 1, null, true]}'
    assert loads(raw) == {"text": "hello", "list": [{"name": "Noor"}, 1, None, True]}


def test_a_lone_surrogate_becomes_the_replacement_character() -> None:
    """Valid JSON, but no database driver encodes it."""
    assert loads('{"answer": "M\\ud800L", "ok": "\\ud83d\\ude00"}') == {
        "answer": "M\ufffdL",
        "ok": "\U0001f600",
    }


def test_json_up_to_the_depth_limit_is_read_and_deeper_is_refused() -> None:
    assert loads("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    with pytest.raises(UnreadableJson, match="nested deeper"):
        loads("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    with pytest.raises(UnreadableJson, match="nested deeper"):
        loads("[" * 100_000 + "]" * 100_000)  # past the parser's own recursion limit


@pytest.mark.parametrize("raw", [b"{oops", b"\xff\xfe\xfa", b""])
def test_what_is_not_json_says_so(raw: bytes) -> None:
    with pytest.raises(UnreadableJson, match="not JSON"):
        loads(raw)
