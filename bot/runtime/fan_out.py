"""What a run's actions become once addressed: facilitator notices one DM each, and a ritual's
DMs to its member with the button that stops the ritual for them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from bot.runtime.home import OPTOUT
from bot.runtime.texts import text
from bot.vocabulary import actions as act
from playbooks.schema import Playbook
from storage.tables import Community, Run


def stop_button(playbook: Playbook, locale: str) -> act.HomeButton:
    """The button on a ritual's DMs that stops this ritual for its member."""
    label = text("button_optout", locale, title=playbook.title.get(locale))
    return act.HomeButton(label, f"{OPTOUT}{playbook.name}")


def fan_out(
    actions: Iterable[act.Action],
    community: Community,
    run: Run,
    stop: act.HomeButton | None,
) -> list[act.Action]:
    """One delivery per recipient: facilitator notices become one DM each, a message to a
    group one delivery per member; a ritual's DMs — to its member, or to people a
    ``dm_people`` step reaches — carry ``stop``."""
    out: list[act.Action] = []
    for action in actions:
        if isinstance(action, act.SendDirectMessage | act.AskQuestion):
            if stop is not None:
                action = replace(action, stop=stop)
            out.append(action)
        elif isinstance(action, act.MessageGroup) and not action.to:
            out += [replace(action, to=user) for user in action.user_ids]
        elif isinstance(action, act.NotifyFacilitators):
            out += [
                act.SendDirectMessage(user_id=f, text=action.text) for f in community.facilitators
            ]
        else:
            out.append(action)
    return out
