"""The words of a command, read in one pass: ``setup name="Data & AI" target=70``.

Words are separated by spaces; a quote (``"`` or ``'``) that starts a word or a value (right
after ``=``) groups what follows up to the same quote, spaces included; inside double quotes
``\\"`` and ``\\\\`` stand for ``"`` and ``\\``. A quote elsewhere is an ordinary character (an
apostrophe: ``l'équipe``). A quote that is never closed is an error, never a literal value.

Linear in the length of the text (``shlex`` appends to an attribute character by character,
which copies the word each time: quadratic), and bounded: longer commands are refused unread.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: The longest command text read (every ``community setup`` value at its longest fits), and
#: the most words it may have.
MAX_LENGTH = 10_000
MAX_WORDS = 100
_QUOTES = "\"'"
#: what a backslash escapes inside double quotes, and outside quotes
_ESCAPED = {'"': '"\\', "": "\"'\\ "}


@dataclass
class ArgumentError(ValueError):
    """The command cannot be read: ``key`` is the runtime text that says why."""

    key: str
    values: dict[str, object] = field(default_factory=dict)


def check_length(text: str) -> None:
    """Refuse (ArgumentError ``command_too_long``) a text longer than :data:`MAX_LENGTH`."""
    if len(text) > MAX_LENGTH:
        raise ArgumentError("command_too_long", _limits(length=len(text)))


def split_words(text: str) -> list[str]:
    """The words of ``text`` (see the module's rules); raises ArgumentError."""
    check_length(text)
    words: list[str] = []
    current: list[str] = []
    in_word = False
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            if in_word:
                words.append("".join(current))
                current, in_word = [], False
            i += 1
            continue
        opens_value = not in_word or (bool(current) and current[-1].endswith("="))
        if char in _QUOTES and opens_value:
            i = _quoted(text, i, current)
        elif char == "\\" and i + 1 < n and text[i + 1] in _ESCAPED[""]:
            current.append(text[i + 1])
            i += 2
        else:
            current.append(char)
            i += 1
        in_word = True
    if in_word:
        words.append("".join(current))
    if len(words) > MAX_WORDS:
        raise ArgumentError("command_too_many_words", _limits(count=len(words)))
    return words


def _quoted(text: str, start: int, current: list[str]) -> int:
    """Read the quoted part opening at ``start`` into ``current``; the index after it."""
    quote = text[start]
    written = "".join(current)[-20:] + text[start : start + 20]
    i, n = start + 1, len(text)
    while i < n:
        char = text[i]
        if char == quote:
            return i + 1
        if char == "\\" and quote == '"' and i + 1 < n and text[i + 1] in _ESCAPED[quote]:
            char = text[i + 1]
            i += 1
        current.append(char)
        i += 1
    raise ArgumentError("unclosed_quote", {"start": written})


def _limits(**values: object) -> dict[str, object]:
    return {"most": MAX_LENGTH, "words": MAX_WORDS, **values}
