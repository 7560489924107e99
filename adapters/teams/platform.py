"""The Teams platform: botbuilder's CloudAdapter on POST /api/messages, proactive sends through
stored conversation references (what is sent, and how, is sender.py), a channel's roster. Every
botbuilder import stays in this folder.

Activities are acknowledged after the events they carry are committed, so a failure before that
answers non-2xx and the Bot Connector retries; the activity id makes a retry a no-op.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from aiohttp import web
from botbuilder.core import TurnContext, serializer_helper
from botbuilder.core.teams import TeamsInfo
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    ConversationParameters,
    ConversationReference,
    InvokeResponse,
)
from msrest.serialization import Model

from adapters.inbound_json import UnreadableJson, loads
from adapters.limits import Pacer
from adapters.teams.activity import BOT_PREFIX, channel_of, is_personal, team_of, tenant_of
from adapters.teams.channels import TEAM, installer_entries
from adapters.teams.config import TeamsConfig
from adapters.teams.connector import FittedAuthentication
from adapters.teams.inbound import MalformedActivity, read_activity
from adapters.teams.links import group_entries
from adapters.teams.messages import is_chatter
from adapters.teams.normalize import CARD_ACTION, to_events
from adapters.teams.sender import TeamsSender
from bot.vocabulary.events import (
    Event,
    MemberJoined,
    MemberLeft,
    MemberProfile,
    WorkspaceRef,
)
from bot.vocabulary.ports import EventSink, PlatformUnavailable, ReferenceStore

log = logging.getLogger(__name__)

#: Per conversation: 7 operations a second in bursts, about 60 in 30 seconds over time.
PER_CONVERSATION = (2.0, 7.0)
ROSTER_PAGE = 100
ROSTER_TTL = 3600.0


def _wire(activity: Activity) -> dict[str, Any]:
    """The activity as JSON. botbuilder's Entity model keeps unknown fields (clientInfo's locale
    and timezone, a mention's text) aside and ``serialize`` drops them: put them back."""
    data: dict[str, Any] = activity.serialize()
    if activity.entities:
        data["entities"] = [
            {**(entity.additional_properties or {}), **entity.serialize()}
            for entity in activity.entities
        ]
    return data


def _addressed(body: dict[str, Any]) -> Activity:
    """What authenticating a request reads of its activity: the channel and the service URL
    (checked against the token's claims), taken only when they are text."""
    channel, service = body.get("channelId"), body.get("serviceUrl")
    return Activity(
        channel_id=channel if isinstance(channel, str) else None,
        service_url=service if isinstance(service, str) else None,
        recipient=ChannelAccount(),
    )


class TeamsPlatform:
    def __init__(self, config: TeamsConfig, sink: EventSink, references: ReferenceStore) -> None:
        self.config = config
        self._sink = sink
        self._references = references
        self.adapter = CloudAdapter(FittedAuthentication(config.botbuilder_configuration()))
        self.adapter.on_turn_error = self._on_turn_error
        self._pacer = Pacer()
        self._rosters: dict[tuple[str, str], tuple[float, list[MemberProfile]]] = {}
        self._roster_reads: dict[tuple[str, str], asyncio.Future[list[MemberProfile]]] = {}
        self.sender = TeamsSender(self)

    def routes(self) -> list[web.AbstractRouteDef]:
        return [web.post("/api/messages", self._messages)]

    # -- inbound --------------------------------------------------------------------------

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        """Read the activity at the edge: anything botbuilder or our normalisation could not
        read is answered 400 with the reason, before a turn starts."""
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.json_response({"error": "send the activity as application/json"}, status=415)
        try:
            body = loads(await request.read())
        except UnreadableJson as exc:
            return web.json_response({"error": str(exc)}, status=400)
        if not isinstance(body, dict) or not body.get("type"):
            return web.json_response({"error": "an activity needs a type"}, status=400)
        # Authenticate first: CloudAdapter.process turns only some token failures into 401, and
        # who sent it is known before what it says is examined.
        try:
            authenticated = await self.adapter.bot_framework_authentication.authenticate_request(
                _addressed(body), request.headers.get("Authorization", "")
            )
        except Exception as exc:
            log.warning("teams request refused", extra={"reason": type(exc).__name__})
            return web.json_response({"error": "unauthorized"}, status=401)
        try:
            activity = read_activity(body)
        except MalformedActivity as exc:
            log.warning("teams activity refused", extra={"problems": len(exc.problems)})
            return web.json_response(
                {"error": "malformed activity", "problems": exc.problems[:20]}, status=400
            )
        if activity.type == ActivityTypes.invoke and activity.name != CARD_ACTION:
            # botbuilder would answer 501; nothing here asks Teams for any other invoke
            return web.json_response(
                {"error": f"this bot answers no {str(activity.name)[:64]!r} invoke"}, status=400
            )
        try:
            invoke = await self.adapter.process_activity(authenticated, activity, self.on_turn)
        except Exception as exc:
            # not the activity's fault (it was read above): the Bot Connector retries a 5xx.
            # The type only: a database error's text carries the statement's parameters.
            log.error("teams turn failed", extra={"error": type(exc).__name__})
            return web.json_response({"error": "the activity could not be processed"}, status=503)
        if invoke is None:
            return web.Response(status=201)
        reply = invoke.body
        if isinstance(reply, Model):
            reply = serializer_helper(reply)
        return web.json_response(reply, status=invoke.status)

    async def on_turn(self, turn_context: TurnContext) -> None:
        """The whole bot, as botbuilder sees it: one method."""
        activity = _wire(turn_context.activity)
        if not is_chatter(activity):  # a team's every message would write a reference each
            await self._remember(activity)
        for event in to_events(activity):
            for one in await self._in_each_channel(event):
                await self._sink(one)
        if activity.get("type") == "invoke" and activity.get("name") == CARD_ACTION:
            body = {
                "statusCode": 200,
                "type": "application/vnd.microsoft.activity.message",
                "value": "✓",
            }
            await turn_context.send_activity(
                Activity(
                    type=ActivityTypes.invoke_response, value=InvokeResponse(status=200, body=body)
                )
            )

    async def _in_each_channel(self, event: Event) -> list[Event]:
        """A team's members added or removed are its standard channels' too: the event once
        for each channel of the team the bot knows (``team:<channel>``), each with its own key
        — the runtime only sees channels. Others, as they are."""
        if not isinstance(event, MemberJoined | MemberLeft) or not event.channel:
            return [event]
        team = event.channel
        known = await self._references.with_prefix(event.workspace, TEAM)
        channels = sorted(
            key.removeprefix(TEAM)
            for key, data in known.items()
            if data.get("id") == team and key.removeprefix(TEAM) != team
        )
        each: list[Event] = [
            replace(event, channel=channel, key=f"{event.key}:in:{channel}") for channel in channels
        ]
        return [event, *each]

    async def _on_turn_error(self, turn_context: TurnContext, error: Exception) -> None:
        """Whoever ran the turn reports it: the inbound endpoint (an error, answered 503) or a
        send (classified by TeamsSender): botbuilder's default would log it a second time."""
        raise error

    async def _remember(self, activity: dict[str, Any]) -> None:
        """Keep what it takes to write here later: this conversation, the member's 1:1, the
        channel the activity came from and the team's General channel (a post there starts a
        thread), and which team that channel is in (``team:<channel>``: who may run it is
        whoever added the app to that team)."""
        tenant = tenant_of(activity)
        if not tenant or not activity.get("serviceUrl"):
            return
        workspace = WorkspaceRef("teams", tenant)
        reference = TurnContext.get_conversation_reference(Activity().deserialize(activity))
        data = reference.serialize()
        data.pop("activityId", None)
        conversation = data.get("conversation") or {}
        entries = {f"conversation:{conversation.get('id')}": data}
        if is_personal(activity) and (activity.get("from") or {}).get("id"):
            entries[f"user:{activity['from']['id']}"] = data
        team = team_of(activity)
        if team:
            for channel in {team, channel_of(activity)}:
                whole = {"id": channel, "isGroup": True, "conversationType": "channel"}
                entries[f"channel:{channel}"] = {**data, "conversation": {**conversation, **whole}}
                entries[f"{TEAM}{channel}"] = {"id": team}
        entries |= installer_entries(activity)  # who added the bot to the team owns it here
        entries |= group_entries(activity)  # the team's group id: its messages' deep links
        await self._references.save(workspace, entries)  # one transaction per activity

    # -- outbound -------------------------------------------------------------------------

    async def run_in(
        self,
        workspace: WorkspaceRef,
        key: str,
        logic: Callable[[TurnContext], Awaitable[None]],
        *,
        open_chat_with: str | None = None,
    ) -> bool:
        """Run ``logic`` in the conversation stored under ``key``; with ``open_chat_with``, open
        a 1:1 chat with that user first when none is known. False when there is no way in."""
        data = await self._references.get(workspace, key)
        if data is not None:
            reference = ConversationReference().deserialize(data)
            await self.adapter.continue_conversation(reference, logic, self.config.app_id)
            return True
        if open_chat_with is None:
            return False
        known = await self._references.any(workspace)
        if known is None or not known.get("serviceUrl"):
            return False
        bot = ChannelAccount().deserialize(known.get("bot") or {})
        parameters = ConversationParameters(
            is_group=False,
            bot=bot,
            members=[ChannelAccount(id=open_chat_with)],
            tenant_id=workspace.external_id,
            channel_data={"tenant": {"id": workspace.external_id}},
        )

        async def remember_then(turn_context: TurnContext) -> None:
            data = TurnContext.get_conversation_reference(turn_context.activity).serialize()
            data.pop("activityId", None)
            data["user"] = {"id": open_chat_with}
            await self._references.save(workspace, {f"user:{open_chat_with}": data})
            await logic(turn_context)

        await self.adapter.create_conversation(
            self.config.app_id,
            remember_then,
            parameters,
            "msteams",
            known["serviceUrl"],
        )
        return True

    async def pace(self, tenant: str, conversation_key: str) -> float:
        wait = await self._pacer.wait(
            ("teams", tenant), self.config.tenant_rps, self.config.tenant_rps
        )
        if wait:
            return wait
        return await self._pacer.wait(("teams", tenant, conversation_key), *PER_CONVERSATION)

    def pause(self, tenant: str, conversation_key: str, seconds: float) -> None:
        self._pacer.pause(("teams", tenant, conversation_key), seconds)

    # -- roster ---------------------------------------------------------------------------

    async def members(self, workspace: WorkspaceRef, channel: str) -> list[MemberProfile]:
        """The channel's people (no bot): the members of its conversation, paged from the Bot
        Connector (``/v3/conversations/<channel>/pagedmembers``: the team's members for the
        General channel and the other standard channels, a private or shared channel's own
        members for one), cached for an hour; PlatformUnavailable when the bot has no way into
        the channel (never reached from it). Reads of one channel at the same moment (a
        ritual's launch and the daily roster read) share one reading."""
        key = (workspace.external_id, channel)
        cached = self._rosters.get(key)
        if cached and time.monotonic() - cached[0] < ROSTER_TTL:
            return cached[1]
        reading = self._roster_reads.get(key)
        if reading is None:
            reading = asyncio.ensure_future(self._read_roster(workspace, channel))
            self._roster_reads[key] = reading
            reading.add_done_callback(lambda _: self._roster_reads.pop(key, None))
        return list(await asyncio.shield(reading))

    async def _read_roster(self, workspace: WorkspaceRef, channel: str) -> list[MemberProfile]:
        found: list[MemberProfile] = []

        async def page_through(turn_context: TurnContext) -> None:
            token = None
            while True:  # the conversation's members: a channel's id is a conversation's
                page = await TeamsInfo.get_paged_team_members(
                    turn_context, channel, token, ROSTER_PAGE
                )
                found.extend(
                    MemberProfile(m.id, m.name or None)
                    for m in page.members or []
                    if m.id and not str(m.id).startswith(BOT_PREFIX)  # bots are no members
                )
                token = page.continuation_token
                if not token:
                    return

        if not await self.run_in(workspace, f"channel:{channel}", page_through):
            # never an empty roster: it would say everyone left
            raise PlatformUnavailable("teams roster: the bot holds no reference to this channel")
        self._rosters[(workspace.external_id, channel)] = (time.monotonic(), found)
        log.info("channel roster read", extra={"members": len(found)})
        return found
