"""Starting and moving rituals' runs: a run starts for its subject (the run-replacement rule
decides over one still going), an event moves it through the engine, and what the engine
decided is applied — the run's row, its answers, the season, its actions fanned out and queued.
The engine decides; this reads what it needs, and writes what it said."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any, cast

from bot.runtime import notices
from bot.runtime.context import run_context
from bot.runtime.delivery import not_now
from bot.runtime.fan_out import fan_out, stop_button
from bot.runtime.grouping import keep_answer, keep_round
from bot.runtime.message_links import MessageLinkBook
from bot.runtime.replacement import decide
from bot.runtime.ritual_people import reached, record
from bot.runtime.run_world import World, save_season, world
from bot.runtime.start_button import parse_start
from bot.runtime.thread_replies import naming, reply_meanwhile
from bot.runtime.turn import Turn, enqueue
from bot.vocabulary.events import (
    ButtonClicked,
    Event,
    FormSubmitted,
    Platform,
    Tick,
    WorkspaceRef,
)
from playbooks.conversation import people_in
from playbooks.engine import Engine, RunState, Spawn, Transition
from storage.runs import ACTIVE
from storage.tables import Answer, Community, Member, Run

log = logging.getLogger(__name__)

#: Facilitators are told once within this of a ritual failing the same way for many members.
FAILURE_NOTICE_QUIET = timedelta(hours=1)
#: ``dm_people`` steps one event may reach one after the other (each reads its people).
PEOPLE_STEPS_AT_ONCE = 5
#: Runs of one ritual going at once for a member, one per occasion (each question they asked):
#: more questions meanwhile start none (a flood of questions is not a flood of runs).
MAX_OCCASIONS = 3


class Rituals:
    def __init__(
        self,
        engine: Engine,
        new_run_id: Callable[[], str],
        links: MessageLinkBook | None = None,
    ) -> None:
        self._engine = engine
        self._new_run_id = new_run_id
        #: each platform's links to its messages (``dm_people`` texts' ``answers.link``)
        self.links = links or MessageLinkBook()

    # -- starting -------------------------------------------------------------------------

    async def triggered(
        self, turn: Turn, community: Community, trigger: str, command: str | None = None
    ) -> dict[str, dict[str, Any]]:
        """The rituals switched on in ``community`` that start on ``trigger`` (and
        ``command``), with their settings — one read."""
        assert community.id is not None
        found: dict[str, dict[str, Any]] = {}
        for name, overrides in (await turn.tx.directory.enabled_settings(community.id)).items():
            playbook = self._engine.playbooks.get(name)
            if playbook is None or playbook.trigger.on != trigger:
                continue
            if command is not None and getattr(playbook.trigger, "command", None) != command:
                continue
            found[name] = overrides
        return found

    async def start_triggered(
        self,
        turn: Turn,
        community: Community,
        member: Member | None,
        trigger: str,
        command: str | None = None,
        variables: Mapping[str, str] | None = None,
        occasion: str = "",
        only: Mapping[str, dict[str, Any]] | None = None,
    ) -> int:
        """Start every ritual switched on in ``community`` with this ``trigger`` (and
        ``command``); how many started. ``occasion``: what this start is for (a question's
        id), one run going per occasion. ``only``: those rituals (as :meth:`triggered` found
        them), not read again."""
        started = 0
        if only is None:
            only = await self.triggered(turn, community, trigger, command)
        for name, overrides in only.items():
            run = await self.start(
                turn,
                name,
                community,
                member,
                overrides=overrides,
                variables=variables,
                occasion=occasion,
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
        occasion: str = "",
    ) -> Run | None:
        """Start ``name`` for its subject, unless it already runs for them (see
        bot.runtime.replacement). A ``scheduled`` start waits for working time. With an
        ``occasion`` (a question), one run goes per occasion, at most MAX_OCCASIONS at once for
        the subject."""
        playbook = self._engine.playbooks[name]
        if playbook.has_member_subject and member is None:
            return None
        subject = member.user_id if (member and playbook.has_member_subject) else ""
        assert community.id is not None and turn.workspace.id is not None
        if member is not None and subject and not_now(member, name, turn.now):
            log.info("member opted out or snoozed: ritual not started", extra={"playbook": name})
            return None
        if occasion and subject:
            going = await turn.tx.runs.count_going(community.id, name, subject)
            if going >= MAX_OCCASIONS:
                log.info(
                    "a member's runs of this ritual are at their cap: not started",
                    extra={"playbook": name, "going": going},
                )
                return None
        if turn.running is not None and not occasion:  # read for the whole chunk of a launch
            running = turn.running.get(subject)
        else:
            running = await turn.tx.runs.active(community.id, name, subject, occasion)
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
        found = await world(turn, self._engine, ctx, community, name, links=self.links)
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
            occasion=occasion if subject else "",
            created_at=turn.now,
            updated_at=turn.now,
        )
        # a batched turn (a launch chunk) inserts its runs together, with its deliveries
        await turn.tx.runs.add(run, flush=turn.batch is None)
        await self.apply(turn, run, community, transition, ctx.locale, found)
        if run.waiting_thread:  # a reply may be there already
            await self._replied_meanwhile(turn, run, transition.state)
        else:  # a dm_people step reads its people and goes on
            await self._go_on(turn, run, overrides)
        return run

    # -- moving ---------------------------------------------------------------------------

    async def resume(self, turn: Turn, run_id: str, event: Event, member: Member | None) -> None:
        """Hand ``event`` to the run ``run_id`` (``member``: who answered, if anyone)."""
        run = await turn.tx.runs.get(run_id, lock=True)
        if run is None or run.workspace_id != turn.workspace.id:
            log.info("event for an unknown run ignored")
            return
        await self.resume_run(turn, run, event, member)

    async def resume_run(
        self, turn: Turn, run: Run, event: Event, member: Member | None, depth: int = 0
    ) -> None:
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
        found = await world(turn, self._engine, ctx, community, run.playbook, state, self.links)
        due = self._engine.people_step(state, overrides, turn.now)
        if due is not None:
            people = await reached(turn, community, *due, state, self.links)
            found.ctx = replace(found.ctx, reached=people)
        transition = self._engine.on_event(state, event, found.ctx, turn.now)
        if transition.ignored:
            log.info("event did not move the run", extra={"reason": transition.ignored})
            return
        await self.apply(turn, run, community, transition, ctx.locale, found)
        moved = (run.step, run.waiting_thread) != (state.step, state.waiting_thread)
        if run.waiting_thread and moved:
            await self._replied_meanwhile(turn, run, transition.state)
        elif depth < PEOPLE_STEPS_AT_ONCE:
            await self._go_on(turn, run, overrides, depth + 1)

    async def _go_on(
        self, turn: Turn, run: Run, overrides: Mapping[str, Any], depth: int = 0
    ) -> None:
        """A run that came to a ``dm_people`` step waits there for its people to be read: it
        goes on at once, in this event's transaction."""
        state = RunState(
            run.playbook,
            run.step,
            run.status,  # type: ignore[arg-type]
            dict(run.variables),
            run.wake_at,
            run.waiting_thread,
        )
        if self._engine.people_step(state, overrides, turn.now) is None:
            return
        workspace = turn.workspace
        tick = Tick(
            workspace=WorkspaceRef(cast(Platform, workspace.platform), workspace.external_id),
            key=f"people:{run.id}:{run.step}",
            occurred_at=turn.now,
            run_id=run.id,
            wake_at=run.wake_at,
        )
        await self.resume_run(turn, run, tick, None, depth)

    async def _replied_meanwhile(self, turn: Turn, run: Run, state: RunState) -> None:
        """A run that starts waiting for a reply in a thread: one recorded there since its
        step began waiting (see bot.runtime.thread_replies) moves it now."""
        reply = await reply_meanwhile(turn, self._engine, run, state)
        if reply is not None:
            await self.resume_run(turn, run, reply, None)

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
        if transition.undelivered:
            told = await notices.post_undelivered(
                turn.tx, turn.workspace, community, run, self._engine.playbooks
            )
            await enqueue(turn, told, None)
        if found is not None:
            await save_season(turn, found, transition)
        assert community.id is not None
        await record(turn, community, transition.effects)
        playbook = self._engine.playbooks.get(run.playbook)
        for answer in transition.answers:
            if playbook is not None:
                await keep_answer(turn, playbook, run, answer.key, answer.value)
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
        actions = fan_out(transition.actions, community, run, stop)
        people = people_in(run.variables)
        if not people:
            await enqueue(turn, actions, run)
        for action in actions if people else ():  # each with the people its text names
            await enqueue(turn, [action], run, naming(action, people))
        if transition.grouped and not transition.error:
            await keep_round(turn, run, found.ctx.grouping if found else None, transition.grouped)
            await self._spawn_all(turn, run, community, transition.spawned)

    async def _spawn_all(
        self, turn: Turn, parent: Run, community: Community, spawned: tuple[Spawn, ...]
    ) -> None:
        """Each grouped member's own run, from the step the grouping names (a run of theirs
        still going from an earlier round ends: superseded)."""
        assert turn.workspace.id is not None and community.id is not None
        users = [s.user_id for s in spawned]
        members = await turn.tx.directory.members_by_user_id(turn.workspace.id, users)
        overrides = await turn.tx.directory.playbook_settings(community.id, parent.playbook)
        going = await turn.tx.runs.active_of(community.id, parent.playbook, users)  # one read
        for spawn in spawned:
            member = members.get(spawn.user_id)
            if member is None:
                continue
            running = going.get(spawn.user_id)
            if running is not None:
                await turn.tx.runs.finish(running, turn.now, "superseded by the next round")
            run_id = self._new_run_id()
            ctx = run_context(run_id, community, member, turn.workspace, overrides)
            transition = self._engine.start(
                parent.playbook, ctx, turn.now, variables=spawn.variables, at=spawn.step
            )
            state = transition.state
            run = Run(
                id=run_id,
                workspace_id=turn.workspace.id,
                community_id=community.id,
                playbook=parent.playbook,
                subject=spawn.user_id,
                status="failed" if transition.error else state.status,
                step=state.step,
                variables=dict(state.variables),
                wake_at=state.wake_at,
                waiting_thread=state.waiting_thread,
                created_at=turn.now,
                updated_at=turn.now,
            )
            await turn.tx.runs.add(run)
            await self.apply(turn, run, community, transition, ctx.locale)

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
