"""A member's ritual preferences: one ritual, or all of them, off (``out``) or back on. The one
place that changes them — for the ``optout``/``optin`` commands and the home's toggles alike."""

from __future__ import annotations

from storage.tables import Member

ALL = "all"


def set_opted(member: Member, target: str, out: bool) -> None:
    """Stop (``out``) or resume ``target``: a ritual's name, or ``all``."""
    if target == ALL:
        member.opted_out_all = out
        return
    chosen = set(member.opted_out)
    member.opted_out = sorted(chosen | {target} if out else chosen - {target})
