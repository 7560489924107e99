"""Where a person's export holds each row their erasure removes or changes — one list, so the
two cannot drift apart: ``tests/test_privacy_rituals.py`` erases someone who took part in
rituals and finds every row the erasure touched in their export, through this list.

And what of a run's variables names a person: who replied (``replier``, ``replier_name``),
their row in a thread's tally (``_collected.<name>``) — what their export shows of others'
runs, and what their erasure takes out of them."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

#: Per table: the export's sections holding its rows, each with how an entry names its row
#: (the row's column → the entry's field).
_ID = {"id": "id"}
EXPORTED: Mapping[str, Mapping[str, Mapping[str, str]]] = {
    "member": {"member": _ID},
    "community": {"roles": {"id": "community_id"}},
    "run": {"runs": _ID, "runs_naming_them": _ID},
    "delivery": {"messages_to_them": _ID, "messages_naming_them": _ID},
    "activityrecord": {"activity": _ID, "activity_towards_them": _ID},
    "communitymember": {"communities": _ID},
    "pulsememberday": {"daily_counts": {"community_id": "community_id", "day": "day"}},
    "pulsepair": {
        "interactions": {"community_id": "community_id", "day": "day", "member_a": "member_a"}
    },
    "pulsequestion": {"questions_asked": _ID, "questions_answered": _ID},
    "processedevent": {"event_keys": {"key": "key"}},
    "answer": {"answers": _ID},
    "rituallaunch": {"ritual_launches_requested": _ID, "ritual_launches_at_them": _ID},
    "conversationreference": {"conversation_references": _ID},
    "kudos": {"kudos_given": _ID, "kudos_received": _ID},
    "ritualseason": {"season_tallies": _ID},
    "experttopic": {"expert_topics": _ID},
    "questionmatch": {"questions_matching_them": _ID, "experts_for_their_questions": _ID},
    "expertask": {"asked_as_expert": _ID},
    "slack_installations": {"slack_installations": _ID},
    "championinvite": {"champion_invitations": _ID},
    "membergroup": {"intro_groups": _ID, "intro_groups_naming_them": _ID},
}

#: The prefix of the variables holding a thread's tally (``playbooks.conversation.COLLECTED``).
COLLECTED = "_collected."


def _their_rows(value: str, uid: str) -> tuple[list[object], list[object]] | None:
    """A tally's rows (``[user id, name, …]``): theirs, and everyone else's; None: no tally."""
    try:
        rows = json.loads(value)
    except ValueError:
        return None
    if not isinstance(rows, list):
        return None
    theirs: list[object] = [r for r in rows if isinstance(r, list) and r and r[0] == uid]
    return theirs, [r for r in rows if r not in theirs]


def _mention(uid: str) -> re.Pattern[str]:
    """``uid``'s mention in a text, ``<@uid>`` or ``<@uid|name>`` — not one of ``<@uid2…>``."""
    return re.compile(rf"<@{re.escape(uid)}(?:\|[^<>]*)?>")


def naming_in_variables(variables: Mapping[str, str], uid: str) -> dict[str, object]:
    """What of a run's variables names ``uid``: a variable holding their id (with the name
    that goes with it, ``<var>_name``), their row of a thread's tally — nobody else's."""
    out: dict[str, object] = {}
    for key, value in variables.items():
        if value == uid:
            out[key] = value
            if f"{key}_name" in variables:
                out[f"{key}_name"] = variables[f"{key}_name"]
        elif mentions := _mention(uid).findall(value):  # named in a text (a group's partners)
            out[key] = mentions
        elif key.startswith(COLLECTED):
            found = _their_rows(value, uid)
            if found is not None and found[0]:
                out[key] = found[0]
    return out


def forget_in_variables(variables: Mapping[str, str], uid: str) -> dict[str, str]:
    """A run's variables without what :func:`naming_in_variables` finds of ``uid``."""
    out = dict(variables)
    for key, value in variables.items():
        if value == uid:
            out.pop(key, None)
            out.pop(f"{key}_name", None)
        elif _mention(uid).search(value):  # people named in a text (a group's partners)
            named = _mention(uid).sub("", value)
            out[key] = ", ".join(p.strip() for p in named.split(",") if p.strip())
        elif key.startswith(COLLECTED):
            found = _their_rows(value, uid)
            if found is not None and found[0]:
                out[key] = json.dumps(found[1])
    return out
