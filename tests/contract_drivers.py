"""Drivers that act as a member on one platform, for the shared adapter contract suite.

Each speaks its platform's real protocol to the real HTTP server: the local JSON API, signed Slack
requests (fake Web API behind), Teams activities (fake Bot Connector behind).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select

from storage.tables import Answer, Member
from tests.conftest import LiveServer, wait_for
from tests.fakes.slack_api import Call
from tests.slack_support import CHANNEL, SlackBot, fixture
from tests.teams_support import TEAM, TeamsBot, activity, question_buttons, stop_button


@dataclass(frozen=True)
class Shown:
    """A bot message as the member sees it."""

    text: str
    choices: tuple[str, ...]
    free_text: bool
    handle: Any
    #: the label of its button that stops the ritual, if it has one
    stop: str = ""


class Driver(Protocol):
    #: the community's channel on this platform
    channel: str
    #: whether the platform names the author of the message a reply or reaction is about
    #: (Teams does not: the runtime finds it in the message's own record)
    names_authors: bool

    async def join(self, user: str, name: str, locale: str) -> None: ...

    async def post(self, user: str, text: str) -> str:
        """``user`` posts ``text`` in the community's channel; the message's id."""
        ...

    async def reply(self, user: str, message: str, text: str) -> str:
        """``user`` replies to ``message`` in its thread; the reply's id."""
        ...

    async def react(self, user: str, message: str, reaction: str) -> None: ...

    async def messages(self, user: str) -> list[Shown]: ...

    async def click(self, user: str, shown: Shown, label: str) -> None: ...

    async def answer(self, user: str, shown: Shown, text: str) -> None: ...

    async def stop(self, user: str, shown: Shown) -> None: ...

    async def answers(self) -> list[tuple[str, str]]: ...

    async def opted_out(self, user: str) -> list[str]: ...


async def stored_opt_outs(store: Any, user: str) -> list[str]:
    """The rituals ``user`` stopped (one workspace per platform in the contract suite)."""
    async with store.transaction() as tx:
        found = await tx.session.execute(select(Member).where(Member.user_id == user))
        [member] = found.scalars()
    return list(member.opted_out)


async def stored_answers(store: Any) -> list[tuple[str, str]]:
    async with store.transaction() as tx:
        rows = (await tx.session.execute(select(Answer).order_by(Answer.id))).scalars().all()
    return [(a.key, a.value) for a in rows]


class LocalDriver:
    channel = "C-data"
    names_authors = True

    def __init__(self, server: LiveServer) -> None:
        self.server = server

    async def post(self, user: str, text: str, thread: str | None = None) -> str:
        status, body = await self.server.post_event(
            type="message_posted", channel=self.channel, user=user, text=text, thread=thread
        )
        assert (status, body["status"]) == (202, "processed"), body
        return str(body["message_id"])

    async def reply(self, user: str, message: str, text: str) -> str:
        return await self.post(user, text, thread=message)

    async def react(self, user: str, message: str, reaction: str) -> None:
        status, _ = await self.server.post_event(
            type="reaction_added", channel=self.channel, user=user, reaction=reaction,
            message_id=message,
        )  # fmt: skip
        assert status == 202

    async def join(self, user: str, name: str, locale: str) -> None:
        status, _ = await self.server.post_event(
            type="member_joined", channel="C-data", user=user, name=name, locale=locale
        )
        assert status == 202

    async def messages(self, user: str) -> list[Shown]:
        return [
            Shown(
                m["text"],
                tuple(c["label"] for c in m["choices"]),
                bool(m["free_text"]),
                m,
                (m["stop"] or {}).get("label", ""),
            )
            for m in await self.server.messages(user=user)
        ]

    async def click(self, user: str, shown: Shown, label: str) -> None:
        value = next(c["value"] for c in shown.handle["choices"] if c["label"] == label)
        status, _ = await self.server.post_event(
            type="button_clicked", user=user, message_id=shown.handle["id"], value=value
        )
        assert status == 202

    async def answer(self, user: str, shown: Shown, text: str) -> None:
        status, _ = await self.server.post_event(
            type="answer_submitted", user=user, message_id=shown.handle["id"], answer=text
        )
        assert status == 202

    async def stop(self, user: str, shown: Shown) -> None:
        status, _ = await self.server.post_event(
            type="stop_clicked", user=user, message_id=shown.handle["id"]
        )
        assert status == 202

    async def answers(self) -> list[tuple[str, str]]:
        return await stored_answers(self.server.bot.store)

    async def opted_out(self, user: str) -> list[str]:
        return await stored_opt_outs(self.server.bot.store, user)


class SlackDriver:
    """Messages are the latest state of each chat.postMessage (updated by chat.update)."""

    channel = CHANNEL
    names_authors = True

    def __init__(self, bot: SlackBot) -> None:
        self.bot = bot
        self._authors: dict[str, str] = {}  # ts -> who posted it
        self._ts = itertools.count(1)

    async def _message(self, name: str, user: str, text: str, **event: Any) -> str:
        """A message event as Slack sends it, with a ts of its own."""
        envelope = fixture(name)
        ts = f"{1700001000 + next(self._ts)}.000100"
        envelope["event"] |= {"user": user, "text": text, "ts": ts, "event_ts": ts, **event}
        envelope["event_id"] = f"Ev-{ts}"
        assert (await self.bot.event(envelope)).status == 200
        self._authors[ts] = user
        return ts

    async def post(self, user: str, text: str) -> str:
        return await self._message("event_message", user, text)

    def remember_author(self, ts: str, user: str) -> None:
        """A message posted by someone else than a driven member (the bot's own post)."""
        self._authors[ts] = user

    async def reply(self, user: str, message: str, text: str) -> str:
        return await self._message(
            "event_message_thread_reply",
            user,
            text,
            thread_ts=message,
            parent_user_id=self._authors[message],
        )

    async def react(self, user: str, message: str, reaction: str) -> None:
        envelope = fixture("event_reaction_added")
        stamp = f"{1700002000 + next(self._ts)}.000100"
        envelope["event"] |= {
            "user": user,
            "reaction": reaction,
            "item": {"type": "message", "channel": self.channel, "ts": message},
            "item_user": self._authors[message],
            "event_ts": stamp,
        }
        envelope["event_id"] = f"Ev-reaction-{stamp}"
        assert (await self.bot.event(envelope)).status == 200

    async def join(self, user: str, name: str, locale: str) -> None:
        self.bot.slack.add_user("T0001", user, name, locale=locale)
        envelope = fixture("event_member_joined_channel")
        envelope["event"]["user"] = user
        envelope["event_id"] = f"Ev-{user}-{time.time()}"
        assert (await self.bot.event(envelope)).status == 200

    async def messages(self, user: str) -> list[Shown]:
        posted = [
            c
            for c in self.bot.slack.calls_to("chat.postMessage")
            if c.ok and c.args.get("channel") == user
        ]
        updates = {c.args["ts"]: c for c in self.bot.slack.calls_to("chat.update") if c.ok}
        shown = []
        for call in posted:
            current = updates.get(call.response["ts"], call)
            actions = next((b for b in current.args["blocks"] if _is_question(b)), None)
            elements = actions["elements"] if actions else []
            free = any(e["action_id"] == "animateur.answer" for e in elements)
            labels = tuple(e["text"]["text"] for e in elements if not free)
            stop = next((b for b in current.args["blocks"] if _is_stop(b)), None)
            label = stop["elements"][0]["text"]["text"] if stop else ""
            shown.append(Shown(current.args["text"], labels, free, (call, actions, stop), label))
        return shown

    def _payload(self, user: str, shown: Shown, element: dict[str, Any]) -> dict[str, Any]:
        call, actions, _ = shown.handle
        return self._click(user, call, element, actions["block_id"])

    def _click(
        self, user: str, call: Call, element: dict[str, Any], block_id: str
    ) -> dict[str, Any]:
        payload = fixture("block_actions")
        payload["user"]["id"] = user
        payload["container"] |= {
            "channel_id": call.response["channel"],
            "message_ts": call.response["ts"],
        }
        payload["message"] = {"ts": call.response["ts"], "text": call.args["text"]}
        payload["actions"] = [{**element, "block_id": block_id}]
        payload["trigger_id"] = f"trigger-{time.time()}"
        return payload

    async def click(self, user: str, shown: Shown, label: str) -> None:
        element = next(e for e in shown.handle[1]["elements"] if e["text"]["text"] == label)
        assert (await self.bot.interaction(self._payload(user, shown, element))).status == 200

    async def answer(self, user: str, shown: Shown, text: str) -> None:
        [element] = shown.handle[1]["elements"]
        assert (await self.bot.interaction(self._payload(user, shown, element))).status == 200
        view = (await wait_for(lambda: _latest_view(self.bot)))["view"]
        submission = fixture("view_submission")
        submission["user"]["id"] = user
        submission["view"] |= {
            "callback_id": view["callback_id"],
            "private_metadata": view["private_metadata"],
            "state": {"values": {"answer_block": {"answer_input": {"value": text}}}},
        }
        assert (await self.bot.interaction(submission)).status == 200

    async def stop(self, user: str, shown: Shown) -> None:
        call, _, stop = shown.handle
        [element] = stop["elements"]
        payload = self._click(user, call, element, stop.get("block_id", "stop-block"))
        assert (await self.bot.interaction(payload)).status == 200

    async def answers(self) -> list[tuple[str, str]]:
        return await stored_answers(self.bot.bot.store)

    async def opted_out(self, user: str) -> list[str]:
        return await stored_opt_outs(self.bot.bot.store, user)


def _is_stop(block: dict[str, Any]) -> bool:
    return block["type"] == "actions" and not _is_question(block)


def _is_question(block: dict[str, Any]) -> bool:
    """The actions block of a question (not a ritual DM's stop button, a home button)."""
    return block["type"] == "actions" and not any(
        e["action_id"].startswith("animateur.home.") for e in block["elements"]
    )


async def _latest_view(bot: SlackBot) -> dict[str, Any] | None:
    opened = bot.slack.calls_to("views.open")
    return opened[-1].args if opened else None


class TeamsDriver:
    """Member ids are Teams ids; messages are the member's 1:1 in its current state; the
    community is the team's General channel (its id is the team's)."""

    channel = TEAM
    names_authors = False

    def __init__(self, bot: TeamsBot) -> None:
        self.bot = bot
        self._installed = False
        self._ids = itertools.count(1)
        self._names: dict[str, str] = {}  # as each member joined: Teams names the sender

    async def _message(self, name: str, user: str, text: str, root: str | None) -> str:
        """A channel message as Teams sends it with the resource-specific consent."""
        message_id = f"{1709546000000 + next(self._ids)}"
        sent = activity(name, self.bot.connector, id=message_id, text=text)
        sent["from"] = {"id": user, "name": self._names.get(user, "member")}
        sent["entities"] = []
        sent["conversation"]["id"] = f"{self.channel};messageid={root or message_id}"
        status, _ = await self.bot.post(sent)
        assert status == 201
        return message_id

    async def post(self, user: str, text: str) -> str:
        return await self._message("message_channel_question", user, text, None)

    async def reply(self, user: str, message: str, text: str) -> str:
        return await self._message("message_channel_reply", user, text, message)

    async def react(self, user: str, message: str, reaction: str) -> None:
        sent = activity("message_reaction_added", self.bot.connector, replyToId=message)
        sent["from"] = {"id": user, "name": self._names.get(user, "member")}
        sent["reactionsAdded"] = [{"type": reaction}]
        sent["conversation"]["id"] = f"{self.channel};messageid={message}"
        sent["channelData"] |= {"channel": {"id": self.channel}, "team": {"id": self.channel}}
        status, _ = await self.bot.post(sent)
        assert status == 201

    async def join(self, user: str, name: str, locale: str) -> None:
        if not self._installed:
            await self.bot.install_in_team()
            self._installed = True
        self._names[user] = name
        status, _ = await self.bot.add_member(user, name)
        assert status == 201

    async def messages(self, user: str) -> list[Shown]:
        shown = []
        for message in self.bot.messages_to(user):
            attachments = message.get("attachments") or []
            stop = (stop_button(message) or {}).get("title", "")
            if message.get("text") or not attachments:  # a ritual DM may carry a stop card
                shown.append(Shown(str(message.get("text", "")), (), False, message, stop))
                continue
            card = attachments[0]["content"]
            text = "\n".join(b["text"] for b in card["body"] if b["type"] == "TextBlock")
            free = any(b["type"] == "Input.Text" for b in card["body"])
            titles = tuple(a["title"] for a in question_buttons(card) if not free)
            shown.append(Shown(text, titles, free, message, stop))
        return shown

    async def click(self, user: str, shown: Shown, label: str) -> None:
        status, _ = await self.bot.post(self.bot.click(shown.handle, label, user))
        assert status == 200

    async def answer(self, user: str, shown: Shown, text: str) -> None:
        status, _ = await self.bot.post(self.bot.answer(shown.handle, text, user))
        assert status == 200

    async def stop(self, user: str, shown: Shown) -> None:
        status, _ = await self.bot.post(self.bot.click(shown.handle, shown.stop, user))
        assert status == 200

    async def answers(self) -> list[tuple[str, str]]:
        return await stored_answers(self.bot.bot.store)

    async def opted_out(self, user: str) -> list[str]:
        return await stored_opt_outs(self.bot.bot.store, user)
