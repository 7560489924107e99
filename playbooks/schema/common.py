"""What the playbook format's models share: strict models, texts in every language (each a
Jinja template), step ids and variable names, and the checks of cron expressions, durations
and moments of the week."""

from __future__ import annotations

from typing import Annotated

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, field_validator

from playbooks.calendar import parse_at
from playbooks.durations import parse_duration
from playbooks.templates import check_template

LOCALES = ("en", "fr")
StepId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
Variable = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


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


def check_until(value: str | None) -> str | None:
    if value is not None:
        parse_at(value)
    return value
