"""What a member wrote stays what they wrote once the bot shows it on Teams.

The runtime places members' words in the bot's messages (a kudos reason, an answer, a name):
Teams renders its markdown — and, in plain messages, a subset of HTML — so ``[a trusted
label](https://elsewhere)`` or ``<a href="…">…</a>`` typed by a member would become a link
carrying the bot's authority. Only the runtime's own links to Teams messages (``[label](
https://teams.microsoft.com/l/…)``, see links.py) stay links; any other markdown link shows
its label and its real address, ``label (address)``, and HTML shows as typed."""

from __future__ import annotations

import re

#: A link to a Teams message or channel as links.py writes it: no ``)`` nor space inside.
_TRUSTED = re.compile(r"\[[^\[\]\n]*\]\(https://teams\.microsoft\.com/l/[^\s()]+\)")
#: Any other inline markdown link, innermost first (its label holds no brackets).
_LINK = re.compile(r"\[([^\[\]\n]*)\]\(([^()\n]*)\)")
#: A reference definition (``[label]: address`` on its own line) would make ``[label]`` a link.
_DEFINITION = re.compile(r"^(\s*\[[^\]\n]*\]):", re.MULTILINE)
_KEPT = "\x00{}\x00"
#: Nested links undone as ``label (address)``; deeper ones are broken by the ``] (`` below.
_PASSES = 3


def plain_links(text: str) -> str:
    """``text`` whose markdown links other than the runtime's links to Teams are undone."""
    kept: list[str] = []

    def keep(found: re.Match[str]) -> str:
        kept.append(found.group(0))
        return _KEPT.format(len(kept) - 1)

    body = _TRUSTED.sub(keep, text.replace("\x00", ""))
    for _ in range(_PASSES):  # each pass undoes the innermost links: ``[[a](b)](c)`` takes two
        body = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", body)
    body = _DEFINITION.sub(r"\1 :", body.replace("](", "] ("))
    return re.sub("\x00(\\d+)\x00", lambda m: kept[int(m.group(1))], body)


def plain_html(text: str) -> str:
    """``text`` whose ``<`` and ``>`` show as typed (Teams would read them as tags)."""
    return text.replace("<", "&lt;").replace(">", "&gt;")
