"""The playbook file format, as pydantic models. ``playbooks.loader`` adds file:line to errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from playbooks.calendar import parse_at
from playbooks.durations import parse_duration
from playbooks.templates import check_template

LOCALES = ("en", "fr")
StepId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalizedText(Strict):
    """A text in every supported language; each one a Jinja template."""

    en: str = Field(min_length=1)
    fr: str = Field(min_length=1)

    @field_validator("en", "fr")
    @classmethod
    def _template_compiles(cls, value: str) -> str:
        check_template(value)
        return value

    def get(self, locale: str) -> str:
        return self.fr if locale == "fr" else self.en


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


def check_cron(value: str) -> str:
    try:
        CronTrigger.from_crontab(value, timezone="UTC")
    except ValueError as exc:
        raise ValueError(
            f"invalid cron expression {value!r} ({exc}); "
            "expected 5 fields: minute hour day month day-of-week, e.g. '30 9 * * mon'"
        ) from exc
    return value


def check_duration(value: str | None) -> str | None:
    if value is not None:
        parse_duration(value)
    return value


def _check_until(value: str | None) -> str | None:
    if value is not None:
        parse_at(value)
    return value


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


class StepBase(Strict):
    id: StepId
    next: StepId | None = Field(
        default=None, description="step to go to next (default: the following one)"
    )


class SendDm(StepBase):
    kind: Literal["send_dm"]
    text: LocalizedText


Variable = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
#: The variable a question-triggered run starts with: the question's platform message id.
QUESTION = "question"


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

    _until_parses = field_validator("until")(_check_until)

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
    _until_parses = field_validator("until")(_check_until)

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


class Digest(Strict):
    """A summary of the ritual's runs, on its own cron (community timezone): a post to the
    community and/or one DM per facilitator. Texts see ``digest`` (asked, answered, rate,
    entries with each member's answers, counts per answer value)."""

    cron: str
    window: str = "7d"
    community: LocalizedText | None = None
    facilitators: LocalizedText | None = None

    _cron_parses = field_validator("cron")(check_cron)
    _window_parses = field_validator("window")(check_duration)

    @model_validator(mode="after")
    def _says_something(self) -> Digest:
        if self.community is None and self.facilitators is None:
            raise ValueError("a digest needs a 'community' text, a 'facilitators' text, or both")
        return self

    @property
    def window_delta(self) -> timedelta:
        return parse_duration(self.window)


class ItemList(Strict):
    """A list of texts in every language, as many in each (item i is the same in both)."""

    en: list[Annotated[str, Field(min_length=1, max_length=1000)]] = Field(
        min_length=1, max_length=200
    )
    fr: list[Annotated[str, Field(min_length=1, max_length=1000)]] = Field(
        min_length=1, max_length=200
    )

    @model_validator(mode="after")
    def _as_many(self) -> ItemList:
        if len(self.en) != len(self.fr):
            raise ValueError(
                f"a list has as many items in each language (en: {len(self.en)}, "
                f"fr: {len(self.fr)})"
            )
        return self

    def get(self, locale: str) -> list[str]:
        return self.fr if locale == "fr" else self.en


class Playbook(Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: LocalizedText
    description: LocalizedText
    trigger: Trigger
    steps: list[Step] = Field(min_length=1)
    digest: Digest | None = None
    #: named lists of texts ``pick`` steps draw from
    lists: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], ItemList] = Field(
        default_factory=dict
    )

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def following(self, step_id: str) -> str | None:
        """The id of the step written after ``step_id``, or None at the end."""
        ids = [s.id for s in self.steps]
        index = ids.index(step_id)
        return ids[index + 1] if index + 1 < len(ids) else None

    @property
    def uses_season(self) -> bool:
        """Whether its runs read and write the season's state (tallies, picks): a ``collect``
        or ``pick`` step, or a text mentioning ``season``."""
        return any(isinstance(s, Collect | Pick) for s in self.steps) or any(
            "season" in text for text in _texts(self)
        )

    @property
    def member_part(self) -> int | None:
        """Where the steps each grouped member's own run goes through begin (the index of the
        first ``then`` of a ``group_members`` step), else None."""
        ids = [s.id for s in self.steps]
        starts = [
            ids.index(s.then) for s in self.steps if isinstance(s, GroupMembers) and s.then in ids
        ]
        return min(starts) if starts else None

    def grouping(self) -> GroupMembers | None:
        """The playbook's ``group_members`` step, if any."""
        return next((s for s in self.steps if isinstance(s, GroupMembers)), None)

    @property
    def uses_highlights(self) -> bool:
        """Whether its texts mention ``highlights`` (what is worth a member's visit, read for
        the run: see bot.runtime.highlights)."""
        return any("highlights" in text for text in _texts(self))

    @property
    def member_filter(self) -> MemberFilter | None:
        trigger = self.trigger
        return trigger.only if isinstance(trigger, ScheduleTrigger) else None

    @property
    def has_member_subject(self) -> bool:
        trigger = self.trigger
        return not isinstance(trigger, ScheduleTrigger) or trigger.audience == "each_member"


def _texts(playbook: Playbook) -> list[str]:
    out: list[str] = []
    for step in playbook.steps:
        for name in ("text", "reminder_text"):
            value = getattr(step, name, None)
            if isinstance(value, LocalizedText):
                out += [value.en, value.fr]
        if isinstance(step, Record):
            out.append(step.value)
    return out
