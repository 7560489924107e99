"""The playbook file format, as pydantic models. ``playbooks.loader`` adds file:line to errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from apscheduler.triggers.cron import CronTrigger
from jinja2 import TemplateSyntaxError
from pydantic import BaseModel, ConfigDict, Field, field_validator

from playbooks.durations import parse_duration
from playbooks.templates import ENVIRONMENT

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
        try:
            ENVIRONMENT.parse(value)
        except TemplateSyntaxError as exc:
            raise ValueError(f"template error: {exc.message} (template line {exc.lineno})") from exc
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


class ScheduleTrigger(Strict):
    """A cron expression evaluated in the community's timezone; the ritual runs once for the
    community, or once for each of its members (``audience: each_member``)."""

    on: Literal["schedule"]
    cron: str
    audience: Literal["community", "each_member"] = "community"

    @field_validator("cron")
    @classmethod
    def _cron_parses(cls, value: str) -> str:
        try:
            CronTrigger.from_crontab(value, timezone="UTC")
        except ValueError as exc:
            raise ValueError(
                f"invalid cron expression {value!r} ({exc}); "
                "expected 5 fields: minute hour day month day-of-week, e.g. '30 9 * * mon'"
            ) from exc
        return value


Trigger = Annotated[
    MemberJoinedTrigger | CommandTrigger | ButtonTrigger | ScheduleTrigger,
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


class PostToCommunity(StepBase):
    kind: Literal["post_to_community"]
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
    timeout: str | None = None
    on_timeout: StepId | None = None

    @field_validator("timeout")
    @classmethod
    def _timeout_parses(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @property
    def variable(self) -> str:
        return self.save_as or self.id.replace("-", "_")

    @property
    def timeout_delta(self) -> timedelta | None:
        return parse_duration(self.timeout) if self.timeout else None


class Wait(StepBase):
    kind: Literal["wait"]
    duration: str

    @field_validator("duration")
    @classmethod
    def _duration_parses(cls, value: str) -> str:
        parse_duration(value)
        return value

    @property
    def delta(self) -> timedelta:
        return parse_duration(self.duration)


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
    value: str


class End(StepBase):
    kind: Literal["end"]


Step = Annotated[
    SendDm | PostToCommunity | NotifyFacilitators | Ask | Wait | Branch | Record | End,
    Field(discriminator="kind"),
]

#: Steps that talk to one member, so they need a member subject.
MEMBER_STEPS = ("send_dm", "ask")


class Playbook(Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: LocalizedText
    description: LocalizedText
    trigger: Trigger
    steps: list[Step] = Field(min_length=1)

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
    def has_member_subject(self) -> bool:
        trigger = self.trigger
        return not isinstance(trigger, ScheduleTrigger) or trigger.audience == "each_member"
