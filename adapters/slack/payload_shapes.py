"""The shapes of the Slack payloads the bot reads (events, slash commands, block actions, view
submissions): the fields Bolt and the normalizers read, with the types Slack documents, ids that
look like ids and bounded keys. Checked at the HTTP edge (adapters/slack/edge.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from adapters.slack.payload_specs import (
    Either,
    Kind,
    ListOf,
    MapOf,
    Nullable,
    Obj,
    Recursive,
    Spec,
    Text,
)

#: Slack ids (T…, U…, C…, E…, A…, B…): short words, no spaces or control characters.
ID = Text(64, re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*"), "an id")
#: null or "" (Slack sends both for "none")
BLANK = Nullable(Text(0, expected="empty"))
OPTIONAL_ID = Either((ID, BLANK))
#: Keys Slack gives a request (trigger_id, event_id, timestamps): bounded strings.
KEY = Text(255, expected="a key")
STRING = Text()
#: Slack's limits for block and action ids, callback ids and a modal's private metadata.
BLOCK_ID = Text(255)
METADATA = Text(3000)
FLAG = Kind((bool,), "a boolean")
FLAG_OR_TEXT = Either((FLAG, Text(8)))
NUMBER = Kind((int, float), "a number")
TS = Either((KEY, NUMBER))

_MESSAGE = Recursive()
#: What Bolt reads on any payload, and again inside ``event``, ``message``, ``item``…
CONTEXT = Obj(
    {
        "type": Text(100),
        "token": STRING,
        "api_app_id": OPTIONAL_ID,
        "enterprise": Nullable(Either((ID, Obj({"id": OPTIONAL_ID})))),
        "enterprise_id": OPTIONAL_ID,
        "team": Nullable(
            Either((ID, Obj({"id": OPTIONAL_ID, "enterprise_id": OPTIONAL_ID, "domain": STRING})))
        ),
        "team_id": OPTIONAL_ID,
        "user_team": OPTIONAL_ID,
        "context_team_id": OPTIONAL_ID,
        "context_enterprise_id": OPTIONAL_ID,
        "user": Either(
            (
                ID,
                BLANK,
                Obj(
                    {
                        "id": ID,
                        "team_id": OPTIONAL_ID,
                        "profile": Nullable(Obj({})),
                        "is_bot": Nullable(FLAG),
                    },
                    frozenset({"id"}),
                ),
            )
        ),
        "user_id": OPTIONAL_ID,
        "channel": Nullable(Either((ID, Obj({"id": OPTIONAL_ID})))),
        "channel_id": OPTIONAL_ID,
        "thread_ts": Nullable(TS),
        "ts": Nullable(TS),
        # a reply's thread author, a reaction's message author, a deleted message
        "parent_user_id": OPTIONAL_ID,
        "item_user": OPTIONAL_ID,
        "deleted_ts": Nullable(TS),
        "event_ts": Nullable(TS),
        "trigger_id": KEY,
        "authorizations": ListOf(
            Obj(
                {
                    "enterprise_id": OPTIONAL_ID,
                    "team_id": OPTIONAL_ID,
                    "user_id": OPTIONAL_ID,
                    "is_bot": Nullable(FLAG),
                    "is_enterprise_install": Nullable(FLAG),
                }
            )
        ),
        "is_enterprise_install": Nullable(FLAG_OR_TEXT),
        "is_ext_shared_channel": Nullable(FLAG),
        "response_url": STRING,
        "response_urls": ListOf(Obj({"response_url": STRING})),
        "function_execution_id": Nullable(STRING),
        "bot_access_token": Nullable(STRING),
        "function_data": Nullable(Obj({"execution_id": Nullable(STRING)})),
        "item": Nullable(Obj({"type": STRING, "channel": OPTIONAL_ID, "ts": Nullable(TS)})),
        "message": Nullable(_MESSAGE),
        "previous_message": Nullable(_MESSAGE),
        "assistant_thread": Nullable(Obj({"channel_id": OPTIONAL_ID, "thread_ts": Nullable(TS)})),
        "subtype": Nullable(STRING),
        "bot_id": Nullable(ID),
        "text": Nullable(STRING),
    }
)
_MESSAGE.inner = CONTEXT

EVENT = CONTEXT.extended(
    {"tab": Nullable(STRING), "reaction": STRING, "channel_type": Nullable(STRING)},
    required={"type"},
)
#: What the handled events need to mean anything (beyond ``CONTEXT``).
_MEMBER_IN_CHANNEL = Obj({"user": ID, "channel": ID}, frozenset({"user", "channel"}))
_REACTION = Obj({"user": ID, "reaction": Text(100)}, frozenset({"user", "reaction", "item"}))
EVENT_NEEDS: Mapping[str, Spec] = {
    "member_joined_channel": _MEMBER_IN_CHANNEL,
    "member_left_channel": _MEMBER_IN_CHANNEL,
    "team_join": Obj({}, frozenset({"user"})),
    "app_home_opened": Obj({"user": ID}, frozenset({"user"})),
    "reaction_added": _REACTION,
    "reaction_removed": _REACTION,
    "message": Obj({"channel": ID}, frozenset({"channel"})),
}
EVENT_CALLBACK = CONTEXT.extended(
    {"event": EVENT, "event_id": KEY, "event_time": NUMBER, "event_context": STRING},
    required={"event", "event_id", "team_id"},
)
URL_VERIFICATION = Obj({"challenge": Text(500)}, frozenset({"challenge"}))
COMMAND = Obj(
    {
        name: OPTIONAL_ID
        for name in ("team_id", "user_id", "channel_id", "enterprise_id", "api_app_id")
    }
    | {"trigger_id": KEY, "command": Text(100), "text": STRING, "response_url": STRING},
    frozenset({"command", "team_id", "user_id", "channel_id", "trigger_id"}),
)
USER = Obj({"id": ID, "team_id": OPTIONAL_ID}, frozenset({"id"}))
ACTION = Obj(
    {
        "action_id": BLOCK_ID,
        "block_id": BLOCK_ID,
        "value": Nullable(Text(2000)),
        "type": STRING,
        "text": Nullable(Obj({"text": Nullable(STRING)})),
        "action_ts": Nullable(TS),
    },
    frozenset({"action_id"}),
)
VIEW = Obj(
    {
        "id": ID,
        "type": STRING,
        "callback_id": BLOCK_ID,
        "private_metadata": Nullable(METADATA),
        "team_id": OPTIONAL_ID,
        "app_installed_team_id": OPTIONAL_ID,
        "state": Nullable(Obj({"values": MapOf(MapOf(Obj({"value": Nullable(STRING)})))})),
    },
)
BLOCK_ACTIONS = CONTEXT.extended(
    {
        "user": USER,
        "actions": ListOf(ACTION, fewest=1),
        "container": Nullable(
            Obj(
                {
                    "type": STRING,
                    "channel_id": OPTIONAL_ID,
                    "message_ts": Nullable(TS),
                    "is_ephemeral": Nullable(FLAG),
                }
            )
        ),
        "view": Nullable(VIEW),
        "state": Nullable(Obj({})),
    },
    required={"user", "actions", "trigger_id"},
)
VIEW_SUBMISSION = CONTEXT.extended(
    {"user": USER, "view": VIEW.extended({}, required={"id", "type", "callback_id"})},
    required={"user", "view", "trigger_id"},
)
