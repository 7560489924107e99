"""Sending on Teams: an action rendered as an activity (a card, a message with mentions), then
written through the conversation reference the platform keeps (a 1:1 chat opened when none is
known yet), paced per tenant and conversation and timed; a failure classified into an outcome
the delivery worker understands. Every botbuilder import stays in this folder.
"""

from __future__ import annotations

import html
import logging
from asyncio import Semaphore, timeout
from typing import TYPE_CHECKING, Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ChannelAccount, Mention

from adapters.teams.activity import THREAD_MARK
from adapters.teams.cards import MENTIONED, render
from adapters.teams.errors import classify
from bot.vocabulary import actions as act
from bot.vocabulary.events import MessageRef, WorkspaceRef
from bot.vocabulary.ports import PlatformUnavailable, SendOutcome

if TYPE_CHECKING:
    from adapters.teams.platform import TeamsPlatform

log = logging.getLogger(__name__)

#: Seconds for one proactive send (opening a 1:1 when needed, then the message): a Bot
#: Connector call answers in well under a second; one that does not is abandoned and retried.
SEND_TIMEOUT = 10.0
#: Sends under way at once (fewer than the default thread pool's threads, which run them).
IN_FLIGHT = 4
#: the actions that may put a new version in place of a message already in the chat
UPDATES = (act.UpdateMessage, act.PublishHome)


def _outbound(wire: dict[str, Any]) -> Activity:
    """The activity to send: botbuilder's Entity model would drop a mention's fields, so
    mentions are given as its Mention model."""
    activity = Activity().deserialize(wire)
    mentions = [e for e in wire.get("entities") or [] if e.get("type") == "mention"]
    if mentions:
        activity.entities = [
            Mention(
                mentioned=ChannelAccount(id=m["mentioned"]["id"], name=m["mentioned"]["name"]),
                text=m["text"],
                type="mention",
            )
            for m in mentions
        ]
    return activity


def _unnamed(activity: Activity) -> list[Mention]:
    return [
        e
        for e in activity.entities or []
        if isinstance(e, Mention) and e.mentioned.name == MENTIONED
    ]


def _name_mentions(activity: Activity, names: dict[str, str]) -> None:
    """Mentions whose name the bot did not know take the name Teams gives the member."""
    for entity in _unnamed(activity):
        name = names.get(entity.mentioned.id)
        if name:
            shown = f"<at>{html.escape(name)}</at>"
            activity.text = (activity.text or "").replace(entity.text, shown)
            entity.text, entity.mentioned.name = shown, name


async def _reply_in_thread(turn_context: TurnContext, activity: Activity, thread: str) -> Any:
    """A reply in a channel thread: the Bot Connector's reply to the thread's first activity
    (``POST /v3/conversations/{channel}/activities/{thread}``), in the channel's conversation."""
    reference = TurnContext.get_conversation_reference(turn_context.activity)
    reply = TurnContext.apply_conversation_reference(activity, reference)
    if reply.conversation is not None and reply.conversation.id:
        reply.conversation.id = reply.conversation.id.split(THREAD_MARK)[0]
    reply.reply_to_id = thread
    responses = await turn_context.adapter.send_activities(turn_context, [reply])
    return responses[0] if responses else None


class TeamsSender:
    platform = "teams"
    #: the delivery worker starts no more sends at once than this: the others wait there,
    #: unstarted, so a stop gives them back at once instead of queueing them here
    max_in_flight = IN_FLIGHT

    def __init__(self, teams: TeamsPlatform, timeout: float = SEND_TIMEOUT) -> None:
        self._teams = teams
        #: seconds one send may take, all its Bot Connector calls included
        self.timeout = timeout
        self._in_flight = Semaphore(IN_FLIGHT)

    async def send(self, workspace: WorkspaceRef, action: act.Action) -> SendOutcome:
        # Paced when it can leave: botbuilder's HTTP runs in the default thread pool, and a
        # send paced then queued behind busy threads would go out later, bunched with others.
        async with self._in_flight:
            return await self._send(workspace, action)

    async def _send(self, workspace: WorkspaceRef, action: act.Action) -> SendOutcome:
        key, open_with = self._destination(action)
        wait = await self._teams.pace(workspace.external_id, key)
        if wait:
            return SendOutcome("deferred", retry_after=wait, error="paced")
        activity = _outbound(render(action))
        channel = getattr(action, "channel", None)
        if _unnamed(activity) and isinstance(channel, str):
            # people named without a name known: the channel's roster has it (read for the
            # command that named them, cached)
            try:
                roster = await self._teams.members(workspace, channel)
            except PlatformUnavailable:
                roster = []
            _name_mentions(activity, {p.user_id: p.display_name or "" for p in roster})
        sent: list[str] = []

        async def deliver(turn_context: TurnContext) -> None:
            replaced = action.message if isinstance(action, UPDATES) else None
            if replaced is not None:  # a message, or a home card after a toggle, in place
                activity.id = replaced.message_id
                await turn_context.update_activity(activity)
                sent.append(replaced.message_id)
                return
            if isinstance(action, act.ReplyInThread):
                response = await _reply_in_thread(turn_context, activity, action.thread)
            else:
                response = await turn_context.send_activity(activity)
            sent.append(getattr(response, "id", "") or "")

        # Only the Bot Connector calls are timed: a wait for pacing above never counts.
        try:
            async with timeout(self.timeout):
                reached = await self._teams.run_in(
                    workspace, key, deliver, open_chat_with=open_with
                )
        except TimeoutError:
            log.warning("teams send timed out")
            return SendOutcome("retry", error="timeout")
        except Exception as exc:
            outcome = classify(exc)
            if outcome.retry_after:
                self._teams.pause(workspace.external_id, key, outcome.retry_after)
            log.warning(
                "teams send failed", extra={"outcome": outcome.status, "error": outcome.error}
            )
            return outcome
        if not reached:
            return SendOutcome("permanent", error="no conversation known: the app is not installed")
        return SendOutcome("sent", platform_ref=sent[0] if sent else None)

    @staticmethod
    def _destination(action: act.Action) -> tuple[str, str | None]:
        """The reference key to write with, and the user to open a 1:1 with if needed."""
        match action:
            case act.PostToCommunity(channel=channel):
                return f"channel:{channel}", None
            case act.ReplyInThread(channel=channel):
                return f"channel:{channel}", None
            case (
                act.UpdateMessage(message=message)
                | act.PublishHome(message=MessageRef() as message)
            ):
                return f"conversation:{message.channel}", None
            case act.MessageGroup(to=user) if user:
                return f"user:{user}", user
            case (
                act.SendDirectMessage(user_id=user)
                | act.AskQuestion(user_id=user)
                | act.RespondPrivately(user_id=user)
                | act.OpenForm(user_id=user)
                | act.PublishHome(user_id=user)
            ):
                return f"user:{user}", user
        raise ValueError(f"{type(action).__name__} cannot be sent on Teams")
