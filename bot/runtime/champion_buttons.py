"""The buttons of a champion spotted in the weekly digest (``bot.runtime.champions``), and the
member's answer to an invitation. Nothing a button carries is trusted: each click is checked
against the database as it is now.

- "add as facilitator" (``champion:<community>:<member>``, value ``facilitator``): only a
  facilitator of that community; the member must still be there, not a facilitator already,
  reachable, and not asked already (an unanswered invitation). The member is asked first — an
  invitation is recorded (``ChampionInvite``) and they get accept / decline buttons
  (``champion-invite:<invitation id>``); the facilitator is told.
- accept: only the member invited, once; the invitation lapses when whoever asked is no
  facilitator any more. The member is added to the community's facilitators on its row locked
  (the setup form's path: its version goes up, a form opened before is then out of date),
  within the setup's PEOPLE_LIMIT. Whoever asked is told either answer.
- "suggest as expert" (value ``expert``): only a facilitator; the member gets a DM suggesting
  ``/animateur expert add <topic>`` (unless they stopped the experts ritual)."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

from bot.runtime.champions import AS_EXPERT, AS_FACILITATOR, CHAMPION_PREFIX
from bot.runtime.community_setup_values import PEOPLE_LIMIT
from bot.runtime.context import resolve_locale
from bot.runtime.experts import RITUAL as EXPERTS
from bot.runtime.texts import text
from bot.runtime.turn import Turn, enqueue
from bot.vocabulary import actions as act
from bot.vocabulary.events import ButtonClicked
from storage.tables import ChampionInvite, Community, Member

log = logging.getLogger(__name__)

INVITE_PREFIX = "champion-invite:"
ACCEPT = "accept"
#: A row id as a callback carries it (what a database integer holds).
_ID = re.compile(r"^[0-9]{1,9}$")
#: Tells the facilitator who pressed a champion's button (by the text's key).
Say = Callable[[str], Awaitable[None]]
DECLINE = "decline"


def _id(text: str) -> int | None:
    return int(text) if _ID.match(text) else None


def is_champion(callback: str) -> bool:
    return callback.startswith((CHAMPION_PREFIX, INVITE_PREFIX))


async def clicked(turn: Turn, event: ButtonClicked, clicker: Member) -> None:
    if event.callback.startswith(INVITE_PREFIX):
        await _answered(turn, event, clicker)
    else:
        await _pressed(turn, event, clicker)


def _who(member: Member | None, user_id: str) -> str:
    return act.mention(user_id, member.display_name if member else "")


async def _tell(
    turn: Turn, to: Member | None, user_id: str, key: str, named: str, **values: str
) -> None:
    """A DM to ``user_id`` (``to``: their member row, for their language) naming ``named``."""
    locale = resolve_locale(to, None, turn.workspace)
    said = act.SendDirectMessage(user_id=user_id, text=text(key, locale, **values))
    await enqueue(turn, [said], None, [named] if named else [])


async def _pressed(turn: Turn, event: ButtonClicked, clicker: Member) -> None:
    """A facilitator's button on a champion: checked, then the member is asked or told."""
    wid = turn.workspace.id
    assert wid is not None
    bound, _, user_id = event.callback.removeprefix(CHAMPION_PREFIX).partition(":")
    community_id = _id(bound)
    community = await turn.tx.directory.community(community_id) if community_id else None
    if community is None or community.workspace_id != wid or not user_id:
        await _tell(turn, clicker, clicker.user_id, "champion_gone", "")
        return
    locale = resolve_locale(clicker, community, turn.workspace)
    champion = await turn.tx.directory.member(wid, user_id)
    who = _who(champion, user_id)

    async def say(key: str) -> None:
        said = text(key, locale, who=who, name=community.name)
        await enqueue(turn, [act.SendDirectMessage(user_id=clicker.user_id, text=said)], None,
                      [user_id])  # fmt: skip

    assert community.id is not None
    if clicker.user_id not in community.facilitators:
        await say("champion_not_facilitator")
    elif champion is None or not await turn.tx.champions.is_present(community.id, user_id):
        await say("champion_left")
    elif champion.opted_out_all or champion.unreachable:
        await say("champion_unreachable")
    elif event.value == AS_EXPERT:
        await _suggest_expert(turn, community, clicker, champion, say)
    elif event.value != AS_FACILITATOR:
        log.info("a champion button with an unknown value ignored")
    elif user_id in community.facilitators:
        await say("champion_already_facilitator")
    elif len(community.facilitators) >= PEOPLE_LIMIT:
        await say("champion_too_many")
    else:
        await _invite(turn, community, clicker, champion, say)


async def _suggest_expert(
    turn: Turn, community: Community, clicker: Member, champion: Member, say: Say
) -> None:
    if EXPERTS in champion.opted_out:
        await say("champion_expert_stopped")
        return
    assert turn.workspace.id is not None
    topics = await turn.tx.experts.topics(turn.workspace.id, champion.user_id)
    locale = resolve_locale(champion, community, turn.workspace)
    said = text(
        "champion_expert_suggestion",
        locale,
        by=_who(clicker, clicker.user_id),
        name=community.name,
        topics=", ".join(topics) or text("none", locale),
    )
    dm = act.SendDirectMessage(user_id=champion.user_id, text=said)
    await enqueue(turn, [dm], None, [clicker.user_id])
    await say("champion_expert_suggested")
    log.info("a champion was suggested to declare expert topics")


async def _invite(
    turn: Turn, community: Community, clicker: Member, champion: Member, say: Say
) -> None:
    assert community.id is not None and turn.workspace.id is not None
    before = await turn.tx.champions.invitation(community.id, champion.user_id)
    if before is not None and not before.answer:
        await say("champion_already_asked")
        return
    invite = await turn.tx.champions.invite(
        turn.workspace.id, community.id, champion.user_id, clicker.user_id, turn.now
    )
    locale = resolve_locale(champion, community, turn.workspace)
    question = act.AskQuestion(
        user_id=champion.user_id,
        text=_invitation(invite, community, clicker, locale),
        callback=f"{INVITE_PREFIX}{invite.id}",
        choices=(
            act.Choice(ACCEPT, text("champion_accept", locale)),
            act.Choice(DECLINE, text("champion_decline", locale)),
        ),
    )
    await enqueue(turn, [question], None, [clicker.user_id])
    await say("champion_asked")
    log.info("a champion was invited to facilitate", extra={"community": community.id})


def _invitation(invite: ChampionInvite, community: Community, by: Member, locale: str) -> str:
    return text("champion_invitation", locale, by=_who(by, invite.invited_by), name=community.name)


async def _answered(turn: Turn, event: ButtonClicked, member: Member) -> None:
    """The member's accept or decline: checked against the invitation recorded."""
    invite_id = _id(event.callback.removeprefix(INVITE_PREFIX))
    invite = await turn.tx.champions.invitation_by_id(invite_id) if invite_id else None
    locale = resolve_locale(member, None, turn.workspace)

    async def answer(key: str, **values: str) -> None:
        said = text(key, locale, **values)
        if event.message is not None:  # the question's buttons give way to the answer
            done: act.Action = act.UpdateMessage(message=event.message, text=said)
        else:
            done = act.SendDirectMessage(user_id=member.user_id, text=said)
        await enqueue(turn, [done], None, [invite.invited_by] if invite else [])

    if (
        invite is None
        or invite.workspace_id != turn.workspace.id
        or invite.user_id != member.user_id
        or event.value not in (ACCEPT, DECLINE)
    ):
        await answer("champion_invite_unknown")
        return
    community = await turn.tx.directory.lock_community(invite.community_id)
    if community is None:
        await answer("champion_invite_unknown")
        return
    if invite.answer:
        await answer(f"champion_answered_{invite.answer}", name=community.name)
        return
    assert turn.workspace.id is not None
    asker = await turn.tx.directory.member(turn.workspace.id, invite.invited_by)
    values = {"who": _who(member, member.user_id), "name": community.name}
    if event.value == DECLINE:
        invite.answer, invite.answered_at = "declined", turn.now
        await answer("champion_you_declined", name=community.name)
        await _tell(
            turn, asker, invite.invited_by, "champion_told_declined", member.user_id, **values
        )
    elif member.user_id in community.facilitators:
        invite.answer, invite.answered_at = "accepted", turn.now
        await answer("champion_you_are_already", name=community.name)
    elif invite.invited_by not in community.facilitators:
        invite.answer, invite.answered_at = "lapsed", turn.now
        by = _who(asker, invite.invited_by)
        await answer("champion_invite_lapsed", name=community.name, by=by)
    elif not await turn.tx.champions.is_present(invite.community_id, member.user_id):
        await answer("champion_you_left", name=community.name)
    elif len(community.facilitators) >= PEOPLE_LIMIT:
        await answer("champion_invite_full", name=community.name)
    else:
        # a new list (a JSON column is compared, not watched): the version goes up on flush
        community.facilitators = [*community.facilitators, member.user_id]
        invite.answer, invite.answered_at = "accepted", turn.now
        await answer("champion_you_accepted", name=community.name)
        await _tell(
            turn, asker, invite.invited_by, "champion_told_accepted", member.user_id, **values
        )
        log.info("a champion became a facilitator", extra={"community": community.id})
