"""Starting and moving rituals' runs: a run starts for its subject (the run-replacement rule
decides over one still going), an event moves it through the engine, and what the engine
decided is applied — the run's row, its answers, the season, its actions fanned out and queued.
The engine decides; this reads what it needs, and writes what it said."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from bot.runtime import notices
from bot.runtime.context import run_context
from bot.runtime.delivery import not_now
from bot.runtime.fan_out import fan_out, stop_button
from bot.runtime.message_links import MessageLinkBook
from bot.runtime.replacement import decide
from bot.runtime.run_world import World, save_season, world
from bot.runtime.start_button import parse_start
from bot.runtime.turn import Turn, enqueue
from bot.vocabulary.events import ButtonClicked, Event, FormSubmitted
from playbooks.engine import Engine, RunState, Transition
from storage.runs import ACTIVE
from storage.tables import Answer, Community, Member, Run

log = logging.getLogger(__name__)

#: Facilitators are told once within this of a ritual failing the same way for many members.
FAILURE_NOTICE_QUIET = timedelta(hours=1)


class Rituals:
    def __init__(
        self,
        engine: Engine,
        new_run_id: Callable[[], str],
        links: Callable[[], MessageLinkBook] = MessageLinkBook,
    ) -> None:
        """``links``: each platform's links to its messages (for texts naming highlights)."""
        self._engine = engine
        self._new_run_id = new_run_id
        self._links = links

    # -- starting -------------------------------------------------------------------------

    async def start_triggered(
        self,
        turn: Turn,
        community: Community,
        member: Member | None,
        trigger: str,
        command: str | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> int:
        """Start every ritual switched on in ``community`` with this ``trigger`` (and
        ``command``); how many started."""
        assert community.id is not None
        started = 0
        enabled = await turn.tx.directory.enabled_settings(community.id)
        for name, overrides in enabled.items():
            playbook = self._engine.playbooks.get(name)
            if playbook is None or playbook.trigger.on != trigger:
                continue
            if command is not None and getattr(playbook.trigger, "command", None) != command:
                continue
            run = await self.start(
                turn, name, community, member, overrides=overrides, variables=variables
            )
            started += run is not None
        return started

    async def start_from_button(self, turn: Turn, callback: str, member: Member | None) -> None:
        """A ``start:`` button: its ritual starts for the clicker, if switched on there."""
        name, channel = parse_start(callback)
        assert turn.workspace.id is not None
        community = await turn.tx.directory.community_by_channel(turn.workspace.id, channel)
        playbook = self._engine.playbooks.get(name)
        if community is None or playbook is None or playbook.trigger.on != "button":
            log.info("start button for an unknown playbook or community ignored")
            return
        if community.id is not None and name in await turn.tx.directory.enabled_playbooks(
            community.id
        ):
            await self.start(turn, name, community, member)

    async def start(
        self,
        turn: Turn,
        name: str,
        community: Community,
        member: Member | None,
        *,
        scheduled: bool = False,
        overrides: dict[str, Any] | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> Run | None:
        """Start ``name`` for its subject, unless it already runs for them (see
        bot.runtime.replacement). A ``scheduled`` start waits for working time."""
        playbook = self._engine.playbooks[name]
        if playbook.has_member_subject and member is None:
            return None
        subject = member.user_id if (member and playbook.has_member_subject) else ""
        assert community.id is not None and turn.workspace.id is not None
        if member is not None and subject and not_now(member, name, turn.now):
            log.info("member opted out or snoozed: ritual not started", extra={"playbook": name})
            return None
        if turn.running is not None:  # read for the whole chunk of a launch
            running = turn.running.get(subject)
        else:
            running = await turn.tx.runs.active(community.id, name, subject)
        decision = decide(running, scheduled=scheduled, now=turn.now)
        if decision == "keep":
            log.info("playbook already running for this subject", extra={"playbook": name})
            return None
        if running is not None and decision == "supersede":
            await turn.tx.runs.finish(running, turn.now, "superseded by the next cycle")
            log.info("previous run superseded", extra={"playbook": name})
        run_id = self._new_run_id()
        if overrides is None:
            overrides = await turn.tx.directory.playbook_settings(community.id, name)
        ctx = run_context(run_id, community, member if subject else None, turn.workspace, overrides)
        found = await world(turn, self._engine, ctx, community, name, links=self._links())
        transition = self._engine.start(
            name, found.ctx, turn.now, in_working_time=scheduled, variables=variables
        )
        state = transition.state
        run = Run(  # inserted as the transition leaves it: no update right after
            id=run_id,
            workspace_id=turn.workspace.id,
            community_id=community.id,
            playbook=name,
            subject=subject,
            status="failed" if transition.error else state.status,
            step=state.step,
            variables=dict(state.variables),
            wake_at=state.wake_at,
            waiting_thread=state.waiting_thread,
            created_at=turn.now,
            updated_at=turn.now,
        )
        await turn.tx.runs.add(run)
        await self.apply(turn, run, community, transition, ctx.locale, found)
        return run

    # -- moving ---------------------------------------------------------------------------

    async def resume(self, turn: Turn, run_id: str, event: Event, member: Member | None) -> None:
        """Hand ``event`` to the run ``run_id`` (``member``: who answered, if anyone)."""
        run = await turn.tx.runs.get(run_id, lock=True)
        if run is None or run.workspace_id != turn.workspace.id:
            log.info("event for an unknown run ignored")
            return
        await self.resume_run(turn, run, event, member)

    async def resume_run(self, turn: Turn, run: Run, event: Event, member: Member | None) -> None:
        """:meth:`resume` for a run already read (and locked)."""
        if member is not None and run.subject and member.user_id != run.subject:
            log.info("answer from someone else than the run's member ignored")
            return
        answering = isinstance(event, ButtonClicked | FormSubmitted) and member is not None
        if run.status not in ACTIVE:
            if answering and member is not None and run.subject:
                await self.answer_stale(turn, member, run)
            log.info("event for a finished run ignored")
            return
        community = await turn.tx.directory.community(run.community_id)
        assert community is not None and turn.workspace.id is not None
        subject = (
            await turn.tx.directory.member(turn.workspace.id, run.subject) if run.subject else None
        )
        if subject is not None and (subject.opted_out_all or run.playbook in subject.opted_out):
            # stopped by other means than its own button (a command, another process): end it
            await turn.tx.runs.finish(run, turn.now, "member stopped the ritual")
            if answering:
                await self.answer_stale(turn, subject, run)
            return
        overrides = await turn.tx.directory.playbook_settings(run.community_id, run.playbook)
        ctx = run_context(run.id, community, subject, turn.workspace, overrides)
        state = RunState(
            run.playbook,
            run.step,
            run.status,  # type: ignore[arg-type]
            dict(run.variables),
            run.wake_at,
            run.waiting_thread,
        )
        found = await world(turn, self._engine, ctx, community, run.playbook, state, self._links())
        transition = self._engine.on_event(state, event, found.ctx, turn.now)
        if transition.ignored:
            log.info("event did not move the run", extra={"reason": transition.ignored})
            return
        await self.apply(turn, run, community, transition, ctx.locale, found)

    async def apply(
        self,
        turn: Turn,
        run: Run,
        community: Community,
        transition: Transition,
        locale: str,
        found: World | None = None,
    ) -> None:
        """Write what the engine decided: the run's row, its answers, the season's changes,
        its actions (fanned out, queued)."""
        state = transition.state
        run.step = state.step
        run.status = "failed" if transition.error else state.status
        run.variables = dict(state.variables)
        run.wake_at = state.wake_at
        run.waiting_thread = None if transition.error else state.waiting_thread
        run.updated_at = turn.now
        run.error = transition.error[:500] if transition.error else None
        run.failures = 0
        for note in transition.notes:
            log.warning("run note: %s", note, extra={"run": run.id, "playbook": run.playbook})
        if transition.error:
            log.error("run stopped", extra={"playbook": run.playbook, "reason": transition.error})
            await turn.tx.session.flush()
            await self.tell_failed(turn, run, community)
        if found is not None:
            await save_season(turn, found, transition)
        assert community.id is not None
        for answer in transition.answers:
            await turn.tx.runs.add_answer(
                Answer(
                    workspace_id=run.workspace_id,
                    community_id=community.id,
                    run_id=run.id,
                    playbook=run.playbook,
                    user_id=run.subject,
                    step=answer.step,
                    key=answer.key,
                    value=answer.value,
                    created_at=turn.now,
                )
            )
        stop = None
        if run.subject:
            stop = stop_button(self._engine.playbooks[run.playbook], locale)
        await enqueue(turn, fan_out(transition.actions, community, run, stop), run)

    # -- telling --------------------------------------------------------------------------

    async def tell_failed(self, turn: Turn, run: Run, community: Community) -> None:
        """Tell the community's facilitators a run failed — once for a ritual failing the same
        way for many members."""
        if await turn.tx.runs.failed_alike_since(run, turn.now - FAILURE_NOTICE_QUIET):
            return
        told = await notices.run_failed(
            turn.tx, turn.workspace, community, run, self._engine.playbooks
        )
        await enqueue(turn, told, None, [run.subject])

    async def answer_stale(self, turn: Turn, member: Member, run: Run) -> None:
        """A click on a button of a run that is over: say so, instead of nothing."""
        answer = notices.stale_click(member, run, turn.workspace, self._engine.playbooks)
        await enqueue(turn, [answer], None)
