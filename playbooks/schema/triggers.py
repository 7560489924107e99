"""What starts a ritual: a member joining, a command, a button, a question asked, or a schedule
(with, for a ritual for each member, which members it starts for)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from playbooks.durations import parse_duration
from playbooks.schema.common import Strict, check_cron, check_duration


class MemberJoinedTrigger(Strict):
    on: Literal["member_joined"]


class CommandTrigger(Strict):
    on: Literal["command"]
    command: str = Field(pattern=r"^[a-z][a-z0-9-]*$")


class ButtonTrigger(Strict):
    """Started by a button whose callback is ``start:<playbook name>``."""

    on: Literal["button"]


class QuestionTrigger(Strict):
    """Started for a member who asks a question at the top level of the community's channel
    (the question flag recorded at ingest); the run's variable ``question`` is that message's
    platform id, so ``wait_reply``/``collect``/``reply_in_thread`` can use ``thread: question``."""

    on: Literal["question"]


#: The variable a question-triggered run starts with: the question's platform message id.
QUESTION = "question"


class MemberFilter(Strict):
    """Which members a ritual for each member starts for (all that apply):

    - ``role``: only the community's ``sponsors`` (or ``facilitators``);
    - ``silent_for``: only present members with no post, reply or reaction in the community for
      that long — counted from their join, else from when they were first seen on the roster;
    - ``again_after``: not a member this ritual started for within that long;
    - ``at_most``: at most this many members started a day (the community's day) in the
      community (the others' turn comes at the next fires)."""

    role: Literal["sponsors", "facilitators"] | None = None
    silent_for: str | None = None
    again_after: str | None = None
    at_most: int | None = Field(default=None, ge=1, le=10_000)

    _durations_parse = field_validator("silent_for", "again_after")(check_duration)

    @property
    def silent_delta(self) -> timedelta | None:
        return parse_duration(self.silent_for) if self.silent_for else None

    @property
    def again_delta(self) -> timedelta | None:
        return parse_duration(self.again_after) if self.again_after else None


class ScheduleTrigger(Strict):
    """A cron expression; the ritual runs once for the community (cron read in the community's
    timezone), or once for each of its members (``audience: each_member``), each at that time in
    their own timezone — only those ``only`` keeps, when given (see :class:`MemberFilter`).
    Fires on weekends and holidays of the community are skipped."""

    on: Literal["schedule"]
    cron: str
    audience: Literal["community", "each_member"] = "community"
    only: MemberFilter | None = None

    _cron_parses = field_validator("cron")(check_cron)

    @model_validator(mode="after")
    def _only_for_members(self) -> ScheduleTrigger:
        if self.only is not None and self.audience != "each_member":
            raise ValueError("'only' chooses among members: it needs 'audience: each_member'")
        return self


Trigger = Annotated[
    MemberJoinedTrigger | CommandTrigger | ButtonTrigger | ScheduleTrigger | QuestionTrigger,
    Field(discriminator="on"),
]
