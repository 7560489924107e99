"""What POST /api/messages accepts: an activity whose parts we read, and botbuilder deserialises,
have the shape the Bot Framework documents. Checked before botbuilder sees it, so a malformed
activity is answered 400 with the reason instead of failing deep inside a turn.

Unknown fields and unknown activity types pass (Teams adds fields over time); only the shape of
what is read is checked, and ids are bounded.
"""

from __future__ import annotations

from typing import Annotated, Any

from botbuilder.schema import Activity
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from adapters.teams.normalize import CARD_ACTION

#: Teams user ids (``29:…``) run to about 120 characters, 1:1 conversation ids a little
#: longer: bounded by what storage keeps (storage.tables.PLATFORM_ID; tenants: a GUID).
Id = Annotated[str, Field(max_length=255)]
TenantId = Annotated[str, Field(max_length=128)]
Text = Annotated[str, Field(max_length=100_000)]


class MalformedActivity(ValueError):
    """The activity cannot be read; ``problems`` name each part that is wrong."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{p['field']}: {p['problem']}" for p in problems))
        self.problems = problems


class _Part(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Account(_Part):
    id: Id | None = None
    name: Text | None = None
    role: str | None = None


class Member(Account):
    """Someone added to or removed from a conversation: who, at least."""

    id: Annotated[Id, Field(min_length=1)]


class Conversation(_Part):
    id: Id | None = None
    conversation_type: str | None = Field(default=None, alias="conversationType")
    tenant_id: TenantId | None = Field(default=None, alias="tenantId")
    is_group: StrictBool | None = Field(default=None, alias="isGroup")


class Entity(_Part):
    type: str | None = None
    mentioned: Account | None = None
    text: Text | None = None
    locale: str | None = None
    timezone: str | None = None


class Reaction(_Part):
    type: str | None = None


class Tenant(_Part):
    id: TenantId | None = None


class Team(_Part):
    id: Id | None = None
    name: Text | None = None


class ChannelData(_Part):
    tenant: Tenant | None = None
    team: Team | None = None
    channel: Team | None = None
    #: what a messageUpdate / messageDelete is (editMessage, undeleteMessage, softDeleteMessage)
    event_type: Annotated[str, Field(max_length=64)] | None = Field(default=None, alias="eventType")


class CardAction(_Part):
    verb: str | None = None
    data: dict[str, Any] | None = None


class CardInvoke(_Part):
    """The value of an ``adaptiveCard/action`` invoke."""

    action: CardAction


class ActivityIn(_Part):
    type: Annotated[str, Field(min_length=1, max_length=64)]
    id: Id | None = None
    name: str | None = None
    action: str | None = None
    text: Text | None = None
    timestamp: str | None = None
    reply_to_id: Id | None = Field(default=None, alias="replyToId")
    service_url: Annotated[str, Field(max_length=2048)] | None = Field(
        default=None, alias="serviceUrl"
    )
    channel_id: str | None = Field(default=None, alias="channelId")
    from_: Account | None = Field(default=None, alias="from")
    recipient: Account | None = None
    conversation: Conversation | None = None
    channel_data: ChannelData | None = Field(default=None, alias="channelData")
    entities: Annotated[list[Entity], Field(max_length=100)] | None = None
    attachments: Annotated[list[dict[str, Any]], Field(max_length=100)] | None = None
    members_added: Annotated[list[Member], Field(max_length=1000)] | None = Field(
        default=None, alias="membersAdded"
    )
    members_removed: Annotated[list[Member], Field(max_length=1000)] | None = Field(
        default=None, alias="membersRemoved"
    )
    reactions_added: Annotated[list[Reaction], Field(max_length=100)] | None = Field(
        default=None, alias="reactionsAdded"
    )
    reactions_removed: Annotated[list[Reaction], Field(max_length=100)] | None = Field(
        default=None, alias="reactionsRemoved"
    )
    value: Any = None


def _problems(exc: ValidationError, *prefix: str) -> list[dict[str, str]]:
    return [
        {
            "field": ".".join(str(p) for p in (*prefix, *err["loc"])) or "activity",
            "problem": err["msg"],
        }
        for err in exc.errors(include_url=False)
    ]


def read_activity(body: dict[str, Any]) -> Activity:
    """The activity in ``body`` as botbuilder's model; MalformedActivity when it cannot be."""
    try:
        parsed = ActivityIn.model_validate(body)
        if parsed.type == "invoke" and parsed.name == CARD_ACTION:
            try:
                CardInvoke.model_validate(parsed.value)
            except ValidationError as exc:
                raise MalformedActivity(_problems(exc, "value")) from exc
    except ValidationError as exc:
        raise MalformedActivity(_problems(exc)) from exc
    try:
        activity: Activity = Activity().deserialize(body)
        activity.serialize()  # what a turn does with it: fails here, not inside the turn
    except (ValueError, TypeError, AttributeError, KeyError) as exc:  # msrest's are ValueErrors
        problem = str(exc).split(", DeserializationError")[0][:300]
        raise MalformedActivity([{"field": "activity", "problem": problem}]) from exc
    return activity
