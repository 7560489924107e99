"""A playbook file's top level: its name and texts, its trigger, its steps, its digest and the
lists its ``pick`` steps draw from."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from playbooks.durations import parse_duration
from playbooks.schema.common import LocalizedText, Strict, check_cron, check_duration
from playbooks.schema.steps import Collect, GroupMembers, Pick, Record, Step
from playbooks.schema.triggers import MemberFilter, ScheduleTrigger, Trigger


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
