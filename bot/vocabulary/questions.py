"""Whether a message asks a question, from its text alone (which is then dropped, never kept).

A message is a question when its text ends with a question mark once what usually trails a
question is set aside: spaces (NBSP and narrow NBSP too, as French puts before "?"), emoji
(Unicode ones with their skin tones, variation selectors and joiners, Slack's ``:shortcode:``,
a few emoticons), closing brackets and quotes, Markdown emphasis, and trailing "!" or "…"
(``?!``). Any language: "?", the full-width "？", the Arabic "؟", the Greek ";" (U+037E) and
their kin. What does not show as words is no question: a "?" inside a URL (``https://x.y/?a=1``,
Slack's ``<https://…?q|label>``) or inside code (```` `a?` ````); Slack's mentions and links
(``<@U1>``, ``<#C1|general>``, ``<!here>``) count as words.

Pure and bounded: only the end of a long text is read, with regular expressions that run in
linear time, so a huge or hostile text costs no more than a short one.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["QUESTION_MARKS", "is_question"]

#: Characters that end a question, in the scripts people write in.
QUESTION_MARKS = frozenset(
    "?"  # most scripts (Latin, Cyrillic, Hebrew, Devanagari…)
    "？"  # U+FF1F full-width (Chinese, Japanese)
    "﹖"  # U+FE56 small
    "؟"  # U+061F Arabic, Persian, Urdu
    "⸮"  # U+2E2E reversed (Arabic-script variants)
    "\u037e"  # Greek question mark (not the semicolon U+003B, which looks the same)
    "፧"  # U+1367 Ethiopic
    "‽"  # U+203D interrobang
    "⁇⁈⁉"  # U+2047-2049 double marks
    "՞"  # U+055E Armenian
    "꘏"  # U+A60F Vai
)

#: How much of the end of a text is read: a question's mark is in its last words; what comes
#: before cannot change the answer (a URL or code span longer than this is cut, harmlessly).
WINDOW = 2000

#: Slack's message markup: ``<@U1>``, ``<@U1|ada>``, ``<#C1|general>``, ``<!here>``,
#: ``<!subteam^S1|@team>``, ``<https://…|label>``, ``<mailto:…>``.
_SLACK_MARKUP = re.compile(r"<([@#!])[^<>\n]*>|<[A-Za-z][A-Za-z0-9+.-]{0,31}:[^<>\n]*>")
#: Code: fenced blocks, then inline spans (never across a line for inline ones).
_CODE_BLOCK = re.compile(r"```[^`]*(?:`{1,2}[^`]+)*```")
_CODE_SPAN = re.compile(r"`[^`\n]+`")
#: A URL written as it is: its last character is no punctuation, so a question mark right after
#: it ("have you seen https://x.y/faq?") stays outside, as every linkifier does.
_URL = re.compile(
    r"(?:\b[A-Za-z][A-Za-z0-9+.-]{0,31}://|\bwww\.)[^\s<>\"]*[^\s<>\"?!.,;:)\]}'»”’]",
    re.IGNORECASE,
)
#: Slack's ``:shortcode:`` emoji names (``:thumbsup::skin-tone-2:`` is two of them).
_SHORTCODE_NAME = re.compile(r"[a-z0-9_+'-]{1,100}", re.IGNORECASE)
#: Common emoticons: ``:)`` ``:-D`` ``;p`` ``=/`` ``<3`` ``^^`` ``^_^`` ``xD``.
_EMOTICON = re.compile(r"[:;=][-^o']?[)(\]\[dDpPoO3/\\|*]|<3|\^_?\^|[xX]D")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}

#: Punctuation that may follow the mark without changing what was asked.
_TRAILING_MARKS = frozenset("!.…！。")
#: Markdown / Slack emphasis and the quotes that carry no Unicode category of their own.
_WRAPPERS = frozenset("\"'`*_~")
#: Emoji parts that are no symbol: joiner, variation selectors, keycap mark, skin tones.
_EMOJI_PARTS = frozenset("\u200d\ufe0e\ufe0f\u20e3") | {chr(c) for c in range(0x1F3FB, 0x1F400)}


def _markup(found: re.Match[str]) -> str:
    """A mention reads as a word (``@someone``); a link as one word that asks nothing."""
    sigil = found.group(1)
    if sigil in ("@", "#"):
        return f" {sigil}mention "
    if sigil == "!":
        return " @here "
    return " link "


def _visible(text: str) -> str:
    """The words of the end of ``text`` as a reader sees them: markup, links and code become
    plain words."""
    tail = text[-WINDOW:]
    tail = _SLACK_MARKUP.sub(_markup, tail)
    tail = _ENTITY.sub(lambda found: _ENTITIES[found.group(1)], tail)
    tail = _CODE_BLOCK.sub(" code ", tail)
    tail = _CODE_SPAN.sub(" code ", tail)
    return _URL.sub(" link ", tail)


def _decoration(char: str) -> bool:
    """A character that may trail a question without being part of it."""
    if char.isspace() or char in _WRAPPERS or char in _TRAILING_MARKS or char in _EMOJI_PARTS:
        return True
    category = unicodedata.category(char)
    # So: emoji and other symbols; Sk: modifiers; Pe/Pf: closing brackets and quotes;
    # Cf: invisible format characters (joiners, RTL marks ending Arabic text); Mn/Me:
    # combining marks left from an emoji; Co/Cn: private-use or unassigned (new emoji).
    return category in ("So", "Sk", "Pe", "Pf", "Cf", "Mn", "Me", "Co", "Cn")


def _emoji_words(text: str, end: int) -> list[int]:
    """Where a ``:shortcode:`` or an emoticon ending at ``end`` may start."""
    starts = []
    if text[end - 1] == ":":
        start = text.rfind(":", max(0, end - 102), end - 1)
        if start >= 0 and _SHORTCODE_NAME.fullmatch(text, start + 1, end - 1):
            starts.append(start)
    for size in (3, 2):
        start = end - size
        # "xD" stands apart from a word ("ok? xD", not "boxD")
        if (
            start >= 0
            and _EMOTICON.fullmatch(text, start, end)
            and not (text[start].isalpha() and start and text[start - 1].isalnum())
        ):
            starts.append(start)
    return starts


def _decoration_ends(text: str, end: int) -> list[int]:
    """Where the text may end once one trailing piece before ``end`` is set aside."""
    char = text[end - 1]
    starts = _emoji_words(text, end)
    if _decoration(char):
        start = end - 1
        # a keycap emoji (1️⃣, #️⃣) is a digit, # or * followed by a keycap mark
        if char == "\u20e3":
            while start and text[start - 1] in "\ufe0f\ufe0e":
                start -= 1
            if start and text[start - 1] in "0123456789#*":
                start -= 1
        starts.append(start)
    return starts


def _ends_with_mark(text: str) -> bool:
    """Whether some way of reading the end of ``text`` as trailing pieces (emoji, quotes…)
    leaves a question mark last. Each position is looked at once: linear in the text."""
    reachable = [False] * (len(text) + 1)
    reachable[len(text)] = True
    lowest = len(text)
    end = len(text)
    while end > 0 and end >= lowest:
        if reachable[end]:
            if text[end - 1] in QUESTION_MARKS:
                return True
            for start in _decoration_ends(text, end):
                reachable[start] = True
                lowest = min(lowest, start)
        end -= 1
    return False


def is_question(text: str) -> bool:
    """Whether ``text`` ends with a question mark, as a reader sees it (see the module).

    Never raises, whatever the text; reads at most its last WINDOW characters.
    """
    if not isinstance(text, str) or not text:
        return False
    return _ends_with_mark(_visible(text))
