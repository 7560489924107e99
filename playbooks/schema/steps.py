"""The steps a ritual goes through, one model per ``kind``, and :data:`Step`, their union."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from playbooks.durations import parse_duration
from playbooks.schema.common import (
    LocalizedText,
    StepId,
    Strict,
    Variable,
    check_duration,
    check_until,
)
from playbooks.templates import check_template


class StepBase(Strict):
    id: StepId
    next: StepId | None = Field(
        default=None, description="step to go to next (default: the following one)"
    )


class SendDm(StepBase):
    kind: Literal["send_dm"]
    text: LocalizedText


class PostToCommunity(StepBase):
    """Post in the community's channel; ``remember_as``: once sent, the post's platform id is
    kept in that run variable (a ``thread`` for later steps)."""

    kind: Literal["post_to_community"]
    text: LocalizedText
    remember_as: Variable | None = None


class ReplyInThread(StepBase):
    """Reply in the thread of a remembered message (``thread``: its variable). Until the
    variable is known (the post not delivered yet) the run retries every minute, up to 30
    minutes; then it posts in the channel instead."""

    kind: Literal["reply_in_thread"]
    thread: Variable
    text: LocalizedText


class NotifyFacilitators(StepBase):
    kind: Literal["notify_facilitators"]
    text: LocalizedText


class ChoiceSpec(Strict):
    value: str = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")
    label: LocalizedText


class Ask(StepBase):
    """Ask the member; with ``choices`` as buttons, without as free text. Waits for the answer."""

    kind: Literal["ask"]
    text: LocalizedText
    choices: list[ChoiceSpec] | None = Field(default=None, min_length=1, max_length=5)
    placeholder: LocalizedText | None = None
    save_as: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$")
    #: ask again, once, when there is no answer after this long (moved into working hours)
    reminder: str | None = None
    reminder_text: LocalizedText | None = None
    timeout: str | None = None
    on_timeout: StepId | None = None

    _durations_parse = field_validator("reminder", "timeout")(check_duration)

    @property
    def variable(self) -> str:
        return self.save_as or self.id.replace("-", "_")

    @property
    def timeout_delta(self) -> timedelta | None:
        return parse_duration(self.timeout) if self.timeout else None

    @property
    def reminder_delta(self) -> timedelta | None:
        return parse_duration(self.reminder) if self.reminder else None


class Wait(StepBase):
    """Wait a ``duration`` (``1d``) or ``until`` a moment of the week (``fri 15:00``), in the
    subject's timezone; with ``working_hours`` (the default) the wake-up moves into working time."""

    kind: Literal["wait"]
    duration: str | None = None
    until: str | None = None
    working_hours: bool = True

    _duration_parses = field_validator("duration")(check_duration)

    _until_parses = field_validator("until")(check_until)

    @model_validator(mode="after")
    def _one_of(self) -> Wait:
        if (self.duration is None) == (self.until is None):
            raise ValueError(
                "a wait step needs either 'duration' (e.g. 1d) or 'until' (e.g. fri 15:00)"
            )
        return self


class Collect(StepBase):
    """Wait like ``wait`` (a ``duration`` or ``until`` a moment of the week), then count the
    thread's replies and the reactions they received: texts see ``collected.<save_as>`` and the
    season's tallies grow with it."""

    kind: Literal["collect"]
    thread: Variable
    duration: str | None = None
    until: str | None = None
    working_hours: bool = True
    save_as: Variable

    _duration_parses = field_validator("duration")(check_duration)
    _until_parses = field_validator("until")(check_until)

    @model_validator(mode="after")
    def _one_of(self) -> Collect:
        if (self.duration is None) == (self.until is None):
            raise ValueError(
                "a collect step needs either 'duration' (e.g. 2d) or 'until' (e.g. thu 16:00)"
            )
        return self


class WaitReply(StepBase):
    """Wait for a reply in the thread from someone else than the run's member (bots never
    count); then ``replier`` and ``replier_name`` are set. After ``timeout`` (moved into working
    hours unless ``working_hours: false``) go to ``on_timeout`` (default: the following step).
    ``count: working_hours``: the timeout counts working time only (4h asked Friday at 17:00
    in 09:00-18:00: 1h on Friday, 3h on Monday — Monday 12:00)."""

    kind: Literal["wait_reply"]
    thread: Variable
    timeout: str
    on_timeout: StepId | None = None
    working_hours: bool = True
    count: Literal["all_hours", "working_hours"] = "all_hours"

    _timeout_parses = field_validator("timeout")(check_duration)

    @property
    def timeout_delta(self) -> timedelta:
        return parse_duration(self.timeout)


#: The people a ``dm_people`` step may DM, resolved by the runtime for the step's thread:
#: ``experts`` — up to 3 whose declared topics the question matched (else the facilitators),
#: each asked at most 3 times a day, the asks recorded; ``answering_expert`` — the run's
#: ``replier`` when asked about the thread or a declared expert on a topic it matched.
PEOPLE = ("experts", "answering_expert")
#: The variable a ``dm_people`` step sets: where the thread opens (empty: no address known).
LINK = "link"


class DmPeople(StepBase):
    """DM each of ``people`` (see :data:`PEOPLE`), resolved by the runtime for ``thread`` when
    the step comes, each the same ``text`` (``member`` stays the run's); texts see the thread's
    address as ``answers.link``. Nobody to DM: the step just goes on."""

    kind: Literal["dm_people"]
    people: Literal["experts", "answering_expert"]
    thread: Variable
    text: LocalizedText


class MarkSolved(StepBase):
    """Mark the question the ``thread`` asks as solved (counted in the indicators)."""

    kind: Literal["mark_solved"]
    thread: Variable


class Pick(StepBase):
    """Pick the next item of one of the playbook's ``lists`` not used yet this season (in the
    list's order, starting over once all were used); saved as ``save_as``."""

    kind: Literal["pick"]
    from_: str = Field(alias="from", pattern=r"^[a-z][a-z0-9_]*$")
    save_as: Variable

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Branch(StepBase):
    """Go to ``cases[answers[on]]``, else ``default``, else the following step."""

    kind: Literal["branch"]
    on: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    cases: dict[str, StepId] = Field(min_length=1)
    default: StepId | None = None


class Record(StepBase):
    """Store a named fact for this run (kept with the community's answers)."""

    kind: Literal["record"]
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    #: a template, like texts
    value: str

    @field_validator("value")
    @classmethod
    def _value_compiles(cls, value: str) -> str:
        check_template(value)
        return value


class End(StepBase):
    kind: Literal["end"]


class GroupMembers(StepBase):
    """Put the community's members in small groups (a round of intros), in a ritual run once
    for the community. The runtime says who can be grouped and how (``bot.runtime.intro_groups``:
    groups of 2, one of 3 when the count is odd, avoiding people grouped together within
    ``avoid_rounds`` rounds); this step sends each group ``text`` (texts see ``group``: its
    people, each with ``name`` and ``mention``) and starts, for each person grouped, a run of
    their own at step ``then`` (texts there see ``answers.partners``: the others of their
    group). A round happens at most once ``every`` (a fire sooner ends the run quietly). With
    fewer than 2 people to group it goes to ``on_too_few`` (texts see ``answers.grouped``).
    ``answer``: the variable the members' runs save their answer in; the answers in ``met``
    count the group as met, those in ``skip`` leave the member out of the next round."""

    kind: Literal["group_members"]
    text: LocalizedText
    then: StepId
    every: str = "14d"
    avoid_rounds: int = Field(default=12, ge=0, le=100)
    on_too_few: StepId | None = None
    answer: Variable | None = None
    met: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=lambda: ["yes"])
    skip: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=lambda: ["skip"])

    _every_parses = field_validator("every")(check_duration)

    @property
    def every_delta(self) -> timedelta:
        return parse_duration(self.every)


Step = Annotated[
    SendDm
    | PostToCommunity
    | NotifyFacilitators
    | Ask
    | Wait
    | Branch
    | Record
    | End
    | ReplyInThread
    | Collect
    | WaitReply
    | Pick
    | DmPeople
    | MarkSolved
    | GroupMembers,
    Field(discriminator="kind"),
]

#: Steps that talk to one member, so they need a member subject.
MEMBER_STEPS = ("send_dm", "ask")
