"""A simulation told as text: each message at its local time, then how rituals fared."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from bot.runtime.simulation import Said, SimMember, Simulation
from bot.vocabulary import actions as act
from playbooks.calendar import zone
from playbooks.schema import Playbook

EXCERPT = 72


def _kind(action: act.Action) -> str:
    match action:
        case act.AskQuestion(choices=choices) if choices:
            return "ask"
        case act.AskQuestion():
            return "ask-text"
        case act.PostToCommunity():
            return "post"
        case act.ReplyInThread():
            return "thread"
        case act.UpdateMessage():
            return "update"
        case act.MessageGroup():
            return "group"
        case _:
            return "dm"


def _excerpt(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= EXCERPT else line[: EXCERPT - 1] + "…"


def _reply_line(sim: Simulation, said: Said) -> tuple[datetime, str]:
    """A member's reply in a thread, at their local time ("" for a reaction: not listed)."""
    if said.kind != "reply":
        return said.at, ""
    replier = sim.members[said.user_id]
    local = said.at.astimezone(zone(replier.timezone))
    when = f"{local:%a %Y-%m-%d %H:%M}"
    return (
        said.at,
        f"{when} {replier.timezone:<19} {replier.name:<14} {'replies':<8} (in the thread)",
    )


def timeline(sim: Simulation) -> list[str]:
    """One line per message (answers' button updates left out), at the recipient's local time;
    members' replies in the rituals' threads too (``converse``), at their local time."""
    lines: list[tuple[datetime, str]] = [_reply_line(sim, said) for said in sim.said]
    lines = [pair for pair in lines if pair[1]]
    asked: set[str] = set()
    for sent in sim.recorder.sent:
        if isinstance(sent.action, act.UpdateMessage):
            continue
        member = sim.members.get(sent.recipient)
        tz = member.timezone if member else sim.timezone
        local = sent.at.astimezone(zone(tz))
        who = member.name if member else sent.recipient
        kind = _kind(sent.action)
        callback = sent.callback
        if callback is not None and callback in asked:
            kind = "remind"
        if callback is not None:
            asked.add(callback)
        lines.append(
            (
                sent.at,
                f"{local:%a %Y-%m-%d %H:%M} {tz:<19} {who:<14} {kind:<8} {_excerpt(sent.text)}",
            )
        )
    return [line for _, line in sorted(lines, key=lambda pair: pair[0])]


async def summary(sim: Simulation) -> list[str]:
    """Questions asked, reminders, answers and the response rate, per question."""
    questions: Counter[str] = Counter()
    reminders: Counter[str] = Counter()
    seen: set[str] = set()
    for sent in sim.recorder.sent:
        if not isinstance(sent.action, act.AskQuestion):
            continue
        step = sent.action.callback.rsplit(":", 1)[-1]
        if sent.action.callback in seen:
            reminders[step] += 1
        else:
            questions[step] += 1
            seen.add(sent.action.callback)
    answered = await sim.answers_per_step()
    lines = []
    if questions:
        lines.append(f"{'question':<16} {'asked':>6} {'reminded':>9} {'answered':>9} {'rate':>6}")
    for step, count in questions.items():
        rate = round(100 * answered.get(step, 0) / count)
        lines.append(
            f"{step:<16} {count:>6} {reminders[step]:>9} {answered.get(step, 0):>9} {rate:>4} %"
        )
    posts = sum(isinstance(s.action, act.PostToCommunity) for s in sim.recorder.sent)
    dms = sum(
        isinstance(s.action, act.SendDirectMessage | act.AskQuestion | act.MessageGroup)
        for s in sim.recorder.sent
    )
    lines.append(f"messages: {dms} direct, {posts} in the community")
    if sim.said:
        replies = sum(s.kind == "reply" for s in sim.said)
        reactions = sum(s.kind == "reaction" for s in sim.said)
        lines.append(f"members: {replies} replies in the rituals' threads, {reactions} reactions")
    in_thread = [s for s in sim.recorder.sent if isinstance(s.action, act.ReplyInThread)]
    if in_thread:
        lines += ["", "The last message in a thread, in full:", in_thread[-1].text]
    return lines


async def simulate(
    playbook: Playbook,
    members: list[SimMember],
    start: datetime,
    weeks: int,
    *,
    timezone: str,
    locale: str,
    holidays: Sequence[str] = (),
    seed: int = 1,
    progress: Callable[[int, int], None] = lambda week, weeks: None,
) -> list[str]:
    """Run ``playbook`` for ``weeks`` from ``start``; the report's lines."""
    async with Simulation(
        {playbook.name: playbook},
        start,
        timezone=timezone,
        locale=locale,
        holidays=holidays,
        seed=seed,
        converse=True,
    ) as sim:
        for member in members:
            await sim.join(member)
        for week in range(1, weeks + 1):
            await sim.run_until(start + timedelta(weeks=week))
            progress(week, weeks)
        rate = members[0].answer_rate if members else 0
        header = [
            f"Simulation of “{playbook.name}”: {len(members)} members, {weeks} week(s) from "
            f"{start:%Y-%m-%d %H:%M %Z}, community time {timezone}, answer rate {rate:.0%}",
            "",
        ]
        return [*header, *timeline(sim), "", *await summary(sim)]
