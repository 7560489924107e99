"""The words of a text, folded so that people's spellings meet: lowercase, accents dropped, a
plural's ``s`` set aside — what a question's words and an expert's topics are compared as.

Shared by every platform's normalizer (a question's words travel with its event, never stored)
and by the ``expert`` command (a topic is stored folded). Mentions, links, code and emoji
shortcodes are no words: they are taken out as the question flag sets them aside
(``bot.vocabulary.questions``).

Pure and bounded: only the first READ characters are read, at most MAX_WORDS words are kept.
"""

from __future__ import annotations

import re
import unicodedata

from bot.vocabulary.questions import _CODE_BLOCK, _CODE_SPAN, _ENTITY, _SLACK_MARKUP, _URL

__all__ = ["MAX_WORDS", "fold", "folded_word", "question_words", "topic_words"]

#: How much of a text is read for its words, and how many distinct words are kept.
READ = 4000
MAX_WORDS = 200
_WORD = re.compile(r"\w+")
#: Slack's ``:shortcode:`` emoji: no words.
_SHORTCODE = re.compile(r":[a-z0-9_+'-]{1,100}:", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """``text`` lowercase, without accents, its spaces collapsed: "  Data  VIZ é" → "data viz e"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", plain).strip()


def folded_word(word: str) -> str:
    """A folded word with a simple plural's ``s`` set aside ("libraries" and "librarie" meet,
    "viz" and "class" stay)."""
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def topic_words(topic: str) -> tuple[str, ...]:
    """A topic's words, in order, as compared with a question's ("Data-Viz" → data, viz)."""
    return tuple(folded_word(w) for w in _WORD.findall(fold(topic)))


def question_words(text: str) -> frozenset[str]:
    """The distinct words of a message's text (at most MAX_WORDS, from its first READ
    characters), mentions, links and code taken out. Never raises."""
    if not isinstance(text, str) or not text:
        return frozenset()
    head = text[:READ]
    head = _SLACK_MARKUP.sub(" ", head)
    head = _ENTITY.sub(" ", head)
    head = _CODE_BLOCK.sub(" ", head)
    head = _CODE_SPAN.sub(" ", head)
    head = _URL.sub(" ", head)
    head = _SHORTCODE.sub(" ", head)
    found: set[str] = set()
    for word in _WORD.findall(fold(head)):
        found.add(folded_word(word))
        if len(found) >= MAX_WORDS:
            break
    return frozenset(found)
