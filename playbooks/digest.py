"""A ritual's digest: what its runs of the period gathered, rendered for the community and for
its facilitators. Pure: the caller loads the runs and answers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from playbooks import schema
from playbooks.engine import CommunityContext
from playbooks.templates import render

#: Group figures are shown only for groups at least this large (privacy).
MIN_GROUP = 5


@dataclass(frozen=True, slots=True)
class RunAnswers:
    """One run of the period: its member, whether they may be named, what they answered."""

    #: the member's name as shown
    member: str
    shown: bool
    values: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class DigestEntry:
    member: str
    #: answers as the member saw them (choice labels in the reader's language)
    answers: Mapping[str, str]
    #: answers as stored (choice values)
    values: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class DigestData:
    asked: int
    answered: int
    entries: tuple[DigestEntry, ...]
    counts: Mapping[str, Mapping[str, int]]

    @property
    def rate(self) -> int:
        return round(100 * self.answered / self.asked) if self.asked else 0

    @property
    def small(self) -> bool:
        """Too few people for group figures to be shown."""
        return self.asked < MIN_GROUP


def question_keys(playbook: schema.Playbook) -> set[str]:
    return {s.variable for s in playbook.steps if isinstance(s, schema.Ask)}


def gather(playbook: schema.Playbook, runs: Sequence[RunAnswers], locale: str) -> DigestData:
    """Count who was asked and who answered; name only those who did not opt out."""
    keys = question_keys(playbook)
    labels = {
        s.variable: {c.value: c.label.get(locale) for c in s.choices}
        for s in playbook.steps
        if isinstance(s, schema.Ask) and s.choices
    }
    counts: dict[str, Counter[str]] = {k: Counter(dict.fromkeys(v, 0)) for k, v in labels.items()}
    entries: list[DigestEntry] = []
    answered = 0
    for run in runs:
        given = {k: v for k, v in run.values.items() if k in keys}
        answered += bool(given)
        for key, value in given.items():
            counts.setdefault(key, Counter())[value] += 1
        if given and run.shown:
            shown = {k: labels.get(k, {}).get(v, v) for k, v in given.items()}
            entries.append(DigestEntry(run.member, shown, dict(given)))
    return DigestData(
        asked=len(runs),
        answered=answered,
        entries=tuple(entries),
        counts={k: dict(c) for k, c in counts.items()},
    )


def render_digest(
    text: schema.LocalizedText, data: DigestData, community: CommunityContext, locale: str
) -> str:
    variables: dict[str, Any] = {
        "community": community,
        "digest": data,
        "locale": locale,
    }
    return render(text.get(locale), variables).strip()
