"""Render neutral actions onto the local platform."""

from __future__ import annotations

from adapters.local.inbox import LocalChoice, LocalForm, LocalInbox, LocalMessage
from bot.vocabulary import actions as act
from bot.vocabulary.events import WorkspaceRef
from bot.vocabulary.ports import Clock, SendOutcome


class LocalSender:
    platform = "local"

    def __init__(self, inbox: LocalInbox, clock: Clock) -> None:
        self._inbox = inbox
        self._clock = clock

    async def send(self, workspace: WorkspaceRef, action: act.Action) -> SendOutcome:
        ws, now = workspace.external_id, self._clock()
        message = LocalMessage(
            id=self._inbox.new_id(), workspace=ws, author="bot", text="", created_at=now
        )
        match action:
            case act.SendDirectMessage(user_id=user, text=text, stop=stop):
                message.user, message.text, message.stop = user, text, _stop(stop)
            case act.MessageGroup(to=user, text=text) if user:
                # the playground has no group DMs: each member finds it in their own
                message.user, message.text = user, text
            case act.PostToCommunity(channel=channel, text=text):
                message.channel, message.text = channel, text
            case act.ReplyInThread(channel=channel, thread=thread, text=text):
                if self._inbox.get(thread) is None:
                    return SendOutcome("permanent", error="thread_not_found")
                message.channel, message.thread, message.text = channel, thread, text
            case act.AskQuestion():
                message.user, message.text = action.user_id, action.text
                message.choices = [LocalChoice(c.value, c.label) for c in action.choices]
                message.callback = action.callback
                message.free_text = not action.choices
                message.placeholder, message.submit_label = action.placeholder, action.submit_label
                message.stop = _stop(action.stop)
            case act.UpdateMessage(message=ref, text=text):
                existing = self._inbox.get(ref.message_id)
                if existing is None or existing.workspace != ws:
                    return SendOutcome("permanent", error="message_not_found")
                existing.text, existing.choices, existing.callback = text, [], None
                existing.free_text, existing.updated_at = False, now
                existing.stop, existing.form = None, None
                return SendOutcome("sent", platform_ref=existing.id)
            case act.RespondPrivately(user_id=user, channel=channel, text=text):
                message.user, message.text, message.ephemeral_in = user, text, channel
            case act.OpenForm(user_id=user, channel=channel, text=text):
                message.user, message.text, message.ephemeral_in = user, text, channel
                message.callback, message.submit_label = action.callback, action.submit_label
                message.form = LocalForm(action.title, list(action.fields))
            case act.PublishHome(user_id=user):
                self._inbox.homes[(ws, user)] = act.action_to_dict(action)
                return SendOutcome("sent")
            case act.NotifyFacilitators():
                return SendOutcome("permanent", error="facilitator notices are fanned out first")
        self._inbox.add(message)
        return SendOutcome("sent", platform_ref=message.id)


def _stop(button: act.HomeButton | None) -> LocalChoice | None:
    return LocalChoice(button.callback, button.label) if button else None
