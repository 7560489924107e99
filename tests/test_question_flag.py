"""The question flag: what members write, in French and English (and a few other scripts), as
Slack, Teams and the playground deliver it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.vocabulary.questions import QUESTION_MARKS, WINDOW, is_question

QUESTIONS = [
    # English
    "Does anyone know how to deploy a model to production?",
    "Any idea?",
    "?",
    "Who's joining tomorrow??",
    "Really?!",
    "Wait, what?!?",
    "Thoughts?...",
    "Is this the right channel? 🙂",
    "Can someone review my PR? 🙏🏽",
    "Who wants to pair on this? 👨‍👩‍👧‍👦",
    "Coffee at 3? ☕️",
    "Which option? 1️⃣",
    "Any feedback? :thinking_face:",
    "Any feedback? :thumbsup::skin-tone-3:",
    "Lunch? :)",
    "Lunch? ;-)",
    "Seriously? xD",
    "Shall we? <3",
    'He asked "how do we measure engagement?"',
    "(is that still true?)",
    "*Is everyone ready?*",
    "_anyone?_",
    "~too late?~",
    "Have you seen https://wiki.example.com/faq?",
    "Can you help <@U0123ABC>?",
    "Should we ping <!here>?",
    "What about <#C0001|general>?",
    "Is `make test` enough?",
    "Multi-line\nfirst line.\nAnd the last one a question?\n",
    "Trailing spaces?   \t ",
    # French: a space, an NBSP or a narrow NBSP before the mark
    "Quelqu'un connaît un bon outil de dataviz ?",
    "Ça vous dit un café\u00a0?",
    "On se retrouve jeudi\u202f?",
    "Des idées\u202f? 😊",
    "« Pourquoi pas\u00a0? »",
    "Vous êtes sûrs\u00a0?!",
    "C'est clair pour tout le monde ? :smile:",
    "Qui peut m'aider <@U0123ABC> ?",
    # other languages and scripts
    "¿Dónde está la documentación?",
    "¿Alguien tiene experiencia con esto? 🤔",
    "هل يمكن لأحد مساعدتي؟",
    "هل يمكن لأحد مساعدتي؟\u200f",
    "有人知道吗？",
    "誰か知っていますか？",
    "Τι ώρα είναι\u037e",  # the Greek question mark, not a semicolon
    "Кто-нибудь знает?",
]

NOT_QUESTIONS = [
    # English
    "Hello everyone! Glad to be here.",
    "Thanks!",
    "Done.",
    "Great job 🎉",
    "See you tomorrow :wave:",
    "I will send it tomorrow;",  # a semicolon (U+003B) ends no question
    "Thanks :)",
    "Who knows? Not me.",
    "I wondered why? Now I know",
    "",
    "   ",
    "🙂",
    ":thumbsup:",
    # a "?" inside a URL, written or as Slack sends it
    "The answer is here: https://wiki.example.com/search?q=dataviz",
    "https://x.y/?a=1",
    "Read <https://wiki.example.com/search?q=model|the wiki>",
    "Read <https://wiki.example.com/faq?|wiki.example.com/faq?>",
    "www.example.com/page?id=42",
    "Mail me: <mailto:ada@example.com?subject=hi|ada@example.com>",
    # inside code
    "Use `a ?: b`",
    "The regex is ```^a?$```",
    "```\nwhat = input('name?')\n```",
    # mentions and links are words, not marks
    "Thanks <@U0123ABC|ada>",
    "cc <!subteam^S0001|@facilitators>",
    # French
    "Merci à tous !",
    "Bienvenue dans la communauté 👋",
    "Le lien : https://intranet.example.fr/page?id=3",
    "Je me demandais : pourquoi ? Maintenant je sais.",
    "À jeudi\u00a0!",
]


@pytest.mark.parametrize("text", QUESTIONS)
def test_a_text_ending_with_a_question_mark_is_a_question(text: str) -> None:
    assert is_question(text)


@pytest.mark.parametrize("text", NOT_QUESTIONS)
def test_a_text_that_asks_nothing_at_its_end_is_no_question(text: str) -> None:
    assert not is_question(text)


def test_every_script_s_question_mark_counts() -> None:
    for mark in QUESTION_MARKS:
        assert is_question(f"word{mark}"), repr(mark)
        assert not is_question(f"word{mark}word"), repr(mark)


def test_what_comes_before_the_end_of_a_long_text_does_not_count() -> None:
    ending = "x" * WINDOW
    assert not is_question("Why?" + ending)
    assert is_question("Hello." + "x" * WINDOW + "?")


# -- properties -----------------------------------------------------------------------------

PROPERTIES = settings(max_examples=300, deadline=None, derandomize=True, database=None)
#: What may trail a question without changing it.
decorations = st.lists(
    st.sampled_from(
        [
            " ",
            "\u00a0",
            "\u202f",
            "\t",
            "\n",
            "🙂",
            "👍🏽",
            "❤️",
            "👩‍💻",
            "🇫🇷",
            "1️⃣",
            ":tada:",
            ":+1::skin-tone-2:",
            ":)",
            ";-)",
            ")",
            "»",
            "”",
            '"',
            "'",
            "*",
            "_",
            "!",
            "…",
        ]
    ),
    max_size=8,
).map("".join)


@PROPERTIES
@given(st.text(max_size=3000))
def test_any_text_gets_an_answer(text: str) -> None:
    assert is_question(text) in (True, False)


@PROPERTIES
@given(st.sampled_from(QUESTIONS), decorations)
def test_spaces_emoji_and_closing_marks_after_a_question_keep_it_one(
    question: str, trailing: str
) -> None:
    assert is_question(question + trailing)


@PROPERTIES
@given(st.sampled_from(NOT_QUESTIONS), decorations)
def test_spaces_emoji_and_closing_marks_never_make_a_question(text: str, trailing: str) -> None:
    assert not is_question(text + trailing)


@PROPERTIES
@given(
    st.text(max_size=50),
    st.text(alphabet="abcXYZ09=&%/-_.~", min_size=1, max_size=40),
)
def test_a_url_with_a_query_at_the_end_is_no_question(before: str, query: str) -> None:
    text = f"{before} https://example.com/path?{query}z"
    assert not is_question(text)
    assert not is_question(f"{before} <https://example.com/path?{query}z|a link>")


@PROPERTIES
@given(st.text(max_size=500), st.text(min_size=WINDOW, max_size=WINDOW + 200))
def test_only_the_end_of_a_text_is_read(head: str, tail: str) -> None:
    """Whatever precedes the last WINDOW characters is never looked at: the work is bounded
    whatever the size of the text."""
    assert is_question(head + tail) == is_question(tail)


@PROPERTIES
@given(st.sampled_from(["`", "```", "<", "<@", "<https:", ":", "a.", "&lt;", "\u20e3", "?"]))
def test_a_huge_text_of_repeated_markup_gets_an_answer(piece: str) -> None:
    text = piece * (200_000 // len(piece))
    assert is_question(text) == (piece == "?")
