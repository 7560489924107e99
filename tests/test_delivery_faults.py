"""Platform faults on the outbound path, through the real senders (slack_sdk against the fake
Slack Web API, botbuilder against the fake Bot Connector) and the real DeliveryWorker on the
test databases: 429 storms, non-JSON 5xx answers, a hanging call, a worker that dies mid-send.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from types import SimpleNamespace

import pytest
import pytest_asyncio

from adapters.limits import Pacer
from adapters.slack.sender import SlackSender
from adapters.teams import connector
from adapters.teams.errors import classify
from adapters.teams.sender import IN_FLIGHT
from bot.runtime.clock import ManualClock
from bot.runtime.delivery import DeliveryWorker, RetryPolicy
from bot.vocabulary import events as ev
from storage.tables import Delivery
from tests.builders import T0, key, seed_community
from tests.conftest import Harness, wait_for
from tests.fakes.bot_connector import FakeBotConnector
from tests.fakes.slack_api import FakeSlackApi
from tests.teams_support import TeamsBot, running_teams_bot, seed_team_community

SLACK = ev.WorkspaceRef("slack", "T0001")
CHANNEL = "C0001"
MEMBERS = ["U0002", "U0003", "U0004", "U0005", "U0006", "U0007"]


@dataclass
class SlackRig:
    harness: Harness
    slack: FakeSlackApi
    sender: SlackSender

    @property
    def clock(self) -> ManualClock:
        return self.harness.clock

    @property
    def worker(self) -> DeliveryWorker:
        return self.harness.worker

    def another_worker(self) -> DeliveryWorker:
        """A second worker process on the same database (default lease and settings)."""
        senders = {"slack": self.sender}
        return DeliveryWorker(self.harness.store, senders, self.clock, RetryPolicy(max_attempts=3))

    async def join(self, *members: str) -> None:
        for user in members:
            await self.harness.dispatcher.handle(
                ev.MemberJoined(
                    workspace=SLACK,
                    key=key(),
                    occurred_at=self.clock(),
                    channel=CHANNEL,
                    member=ev.MemberProfile(user, f"Member {user}", "en"),
                )
            )

    async def deliveries(self) -> list[Delivery]:
        return await self.harness.deliveries()

    def posted_to(self, user: str) -> list[str]:
        """Timestamps of the messages Slack holds in the member's DM, oldest first."""
        dm = "D" + user[1:]
        return sorted(ts for channel, ts in self.slack.messages if channel == dm)


@asynccontextmanager
async def slack_rig(database_url: str, **sender_options: object) -> AsyncIterator[SlackRig]:
    clock = ManualClock(T0)
    async with FakeSlackApi() as slack:
        slack.add_team("T0001", "xoxb-1")

        async def token(team: str) -> str | None:
            return "xoxb-1" if team == "T0001" else None

        # the pacer reads the same controllable clock as the outbox
        pacer = Pacer(clock=lambda: clock().timestamp())
        sender = SlackSender(token, slack.api_url, pacer, **sender_options)  # type: ignore[arg-type]
        harness = Harness.create(database_url, clock, senders={"slack": sender})
        await seed_community(harness, SLACK, CHANNEL, ("welcome",))  # type: ignore[arg-type]
        try:
            yield SlackRig(harness, slack, sender)
        finally:
            await sender.close()
            await harness.store.close()


@pytest_asyncio.fixture
async def rig(database_url: str) -> AsyncIterator[SlackRig]:
    async with slack_rig(database_url) as built:
        yield built


async def drain_until_settled(rig: SlackRig, step: timedelta, rounds: int = 60) -> None:
    """Drain, move the clock by ``step``, again, until nothing is pending or in flight."""
    for _ in range(rounds):
        await rig.worker.drain()
        if all(d.status not in ("pending", "in_flight") for d in await rig.deliveries()):
            return
        rig.clock.advance(step)
    raise AssertionError(f"still not settled: {[d.status for d in await rig.deliveries()]}")


def assert_in_order_per_recipient(deliveries: list[Delivery]) -> None:
    """Each recipient's messages reached Slack in the order they were queued."""
    by_recipient: dict[str, list[Delivery]] = {}
    for delivery in sorted(deliveries, key=lambda d: d.id or 0):
        by_recipient.setdefault(delivery.recipient, []).append(delivery)
    for recipient, queued in by_recipient.items():
        stamps = [float((d.platform_ref or ":0").rsplit(":", 1)[1]) for d in queued]
        assert stamps == sorted(stamps), f"{recipient} got their messages out of order"


# -- 429s ------------------------------------------------------------------------------------


async def test_a_429_storm_with_text_bodies_then_recovery_delivers_all_in_order(
    rig: SlackRig,
) -> None:
    await rig.join(*MEMBERS)
    rig.slack.rate_limit_plain_next("chat.postMessage", retry_after=1, count=20)
    await drain_until_settled(rig, timedelta(seconds=2))

    deliveries = await rig.deliveries()
    assert len(deliveries) == 12
    assert [d.status for d in deliveries] == ["sent"] * 12, "nothing dead-lettered"
    assert [d.attempts for d in deliveries] == [1] * 12, "429s spent no attempt"
    limited = [c for c in rig.slack.calls_to("chat.postMessage") if c.status == 429]
    assert len(limited) == 20, "the storm really hit"
    assert all(len(rig.posted_to(user)) == 2 for user in MEMBERS), "each message exactly once"
    assert_in_order_per_recipient(deliveries)


# -- 5xx that are not Slack's JSON -----------------------------------------------------------

PROXY_ANSWERS = {
    "html": ("<html><body><h1>503 Service Unavailable</h1></body></html>", "text/html"),
    "text": ("upstream connect error or disconnect/reset before headers", "text/plain"),
    "broken-json": ('{"ok": false, "error": "unavail', "application/json"),
}


@pytest.mark.parametrize("answer", sorted(PROXY_ANSWERS))
async def test_a_503_from_a_proxy_is_retried_and_dead_letters_with_http_503(
    rig: SlackRig, answer: str
) -> None:
    body, content_type = PROXY_ANSWERS[answer]
    rig.slack.fail_http_next(
        "chat.postMessage", 503, count=10, body=body, content_type=content_type, channel="U0002"
    )
    rig.slack.fail_http_next(
        "chat.postMessage", 503, count=2, body=body, content_type=content_type, channel="U0003"
    )
    await rig.join("U0002", "U0003")
    await drain_until_settled(rig, timedelta(minutes=10))

    by_recipient: dict[str, Delivery] = {}
    for delivery in await rig.deliveries():  # oldest first: each member's welcome
        by_recipient.setdefault(delivery.recipient, delivery)
    failing, recovered = by_recipient["U0002"], by_recipient["U0003"]
    assert (failing.status, failing.attempts, failing.last_error) == ("dead", 3, "http 503")
    assert (recovered.status, recovered.attempts) == ("sent", 3), "retried, then sent"
    assert len(rig.posted_to("U0003")) == 2 and rig.posted_to("U0002") == []


# -- a hanging call --------------------------------------------------------------------------


async def test_a_hanging_call_does_not_hold_back_other_recipients(database_url: str) -> None:
    # timeouts long enough that only concurrency can get the others out before the hang ends
    async with slack_rig(database_url, timeouts={"chat.postMessage": 60.0}) as rig:
        rig.slack.hang_next("chat.postMessage", 30, channel="U0002")
        await rig.join(*MEMBERS)  # U0002 first: their welcome is the oldest delivery
        worker = asyncio.create_task(rig.worker.run(idle_poll=0.1))
        try:
            await wait_for(lambda: _true(rig.slack.hangs_started == 1), within=10)
            others = MEMBERS[1:]
            await wait_for(
                lambda: _true(all(len(rig.posted_to(u)) == 2 for u in others)), within=10
            )
            assert rig.slack.hanging == 1 and rig.posted_to("U0002") == [], "still hanging"

            rig.slack.release_hangs()
            await wait_for(lambda: _true(len(rig.posted_to("U0002")) == 2), within=10)
        finally:
            rig.worker.stop()
            await asyncio.wait_for(worker, 10)
        deliveries = await rig.deliveries()
        assert [d.status for d in deliveries] == ["sent"] * 12
        assert_in_order_per_recipient(deliveries)


async def test_a_call_that_hangs_times_out_in_seconds_and_is_retried(rig: SlackRig) -> None:
    rig.slack.hang_next("chat.postMessage", 30, channel="U0002")
    await rig.join("U0002", "U0003")
    started = asyncio.get_running_loop().time()
    await asyncio.wait_for(rig.worker.drain(), 20)
    assert asyncio.get_running_loop().time() - started < 15, "not held for the whole hang"

    welcome = next(d for d in await rig.deliveries() if d.recipient == "U0002")
    assert (welcome.status, welcome.attempts, welcome.last_error) == ("pending", 1, "timeout")
    assert len(rig.posted_to("U0003")) == 2, "the other member was served meanwhile"

    rig.clock.advance(timedelta(minutes=1))
    await rig.worker.drain()
    assert [d.status for d in await rig.deliveries()] == ["sent"] * 4


# -- crashes ---------------------------------------------------------------------------------


async def test_a_send_in_flight_when_its_worker_died_goes_out_seconds_later(
    rig: SlackRig,
) -> None:
    rig.slack.hang_next("chat.postMessage", 30, channel="U0002")
    await rig.join("U0002")
    crashed = asyncio.create_task(rig.worker.run(idle_poll=0.1))
    await wait_for(lambda: _true(rig.slack.hanging == 1))
    crashed.cancel()  # the process dies mid-send: nothing recorded
    with contextlib.suppress(asyncio.CancelledError):
        await crashed
    [welcome, _] = await rig.deliveries()
    assert welcome.status == "in_flight"

    restarted = rig.another_worker()
    assert await restarted.drain() == 0, "the claim holds a little while"
    rig.clock.advance(timedelta(seconds=16))
    await restarted.drain()
    deliveries = await rig.deliveries()
    assert [d.status for d in deliveries] == ["sent", "sent"]
    assert deliveries[0].attempts == 2
    assert len(rig.posted_to("U0002")) == 2


async def test_a_slow_send_keeps_its_claim_alive_so_it_is_not_sent_twice(
    database_url: str,
) -> None:
    # a hang that ends only when released (no race with a call timeout on a busy machine)
    async with slack_rig(database_url, timeouts={"chat.postMessage": 300.0}) as rig:
        short = DeliveryWorker(
            rig.harness.store,
            {"slack": rig.sender},
            rig.clock,
            RetryPolicy(max_attempts=3),
            lease=timedelta(seconds=0.3),
            send_timeout=300.0,
        )
        rig.slack.hang_next("chat.postMessage", 600, channel="U0002")
        await rig.join("U0002")
        running = asyncio.create_task(short.run(idle_poll=0.1))
        try:
            await wait_for(lambda: _true(rig.slack.hanging == 1))
            rig.clock.advance(timedelta(seconds=200))  # far past any lease taken so far

            async def renewed() -> bool:
                [welcome, _] = await rig.deliveries()
                lease = welcome.lease_until
                return welcome.status == "in_flight" and lease is not None and lease > rig.clock()

            await wait_for(renewed, within=5)
            other = rig.another_worker()
            assert await other.drain() == 0, "a live worker's claim is not taken over"
            rig.slack.release_hangs()
            await wait_for(lambda: _true(len(rig.posted_to("U0002")) == 2), within=10)
        finally:
            short.stop()
            await asyncio.wait_for(running, 10)
        assert [(d.status, d.attempts) for d in await rig.deliveries()] == [
            ("sent", 1),
            ("sent", 1),
        ]
        assert len(rig.posted_to("U0002")) == 2, "no duplicate"


async def test_a_worker_never_takes_back_its_own_send_when_its_lease_lapses(
    database_url: str,
) -> None:
    # a hang that ends only when released (no race with a call timeout on a busy machine)
    async with slack_rig(database_url, timeouts={"chat.postMessage": 300.0}) as rig:
        late = DeliveryWorker(  # its heartbeat comes late (a busy process): the lease lapses
            rig.harness.store,
            {"slack": rig.sender},
            rig.clock,
            RetryPolicy(max_attempts=3),
            lease=timedelta(seconds=0.3),
            send_timeout=300.0,
            renew_every=60,
        )
        rig.slack.hang_next("chat.postMessage", 600, channel="U0002")
        await rig.join("U0002")
        running = asyncio.create_task(late.run(idle_poll=0.05))
        try:
            await wait_for(lambda: _true(rig.slack.hanging == 1))
            rig.clock.advance(timedelta(seconds=200))
            await asyncio.sleep(0.5)  # several claim passes of its own
            assert rig.posted_to("U0002") == [], "the welcome was not sent a second time"
            rig.slack.release_hangs()
            await wait_for(lambda: _true(len(rig.posted_to("U0002")) == 2), within=10)
        finally:
            late.stop()
            await asyncio.wait_for(running, 10)
        assert [(d.status, d.attempts) for d in await rig.deliveries()] == [
            ("sent", 1),
            ("sent", 1),
        ]
        assert len(rig.posted_to("U0002")) == 2, "no duplicate"


async def _true(value: bool) -> bool:
    return value


# -- Teams -----------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def teams(database_url: str) -> AsyncIterator[TeamsBot]:
    async with (
        FakeBotConnector() as connector,
        running_teams_bot(database_url, connector, delivery_max_attempts=2) as bot,
    ):
        await seed_team_community(bot.bot)
        await bot.install_in_team()
        yield bot


async def _statuses(bot: TeamsBot) -> list[tuple[str, int, str | None]]:
    return [(d.status, d.attempts, d.last_error) for d in await _deliveries(bot)]


async def _deliveries(bot: TeamsBot) -> list[Delivery]:
    async with bot.bot.store.transaction() as tx:
        return sorted(await tx.outbox.list(), key=lambda d: d.id or 0)


async def test_teams_429s_with_text_bodies_spend_no_attempt(teams: TeamsBot) -> None:
    teams.connector.rate_limit_plain_next("send", retry_after=1, count=3)
    await teams.add_member("29:1new", "Noor")

    async def settled() -> bool:
        return all(s[0] not in ("pending", "in_flight") for s in await _statuses(teams))

    await wait_for(settled, within=20)
    assert [s[:2] for s in await _statuses(teams)] == [("sent", 1), ("sent", 1)]
    shown = teams.messages_to("29:1new")
    assert shown[0]["text"].startswith("Welcome to *Data*"), "in order after the storm"
    assert "attachments" in shown[1]
    assert [c.status for c in teams.connector.calls_to("send")] == [429, 429, 429, 201, 201]


async def test_teams_503_pages_are_retried_then_dead_letter_as_http_503(teams: TeamsBot) -> None:
    teams.connector.fail_http_next("send", 503, count=2)
    teams.connector.fail_http_next("send", 503, count=2, body="Service Unavailable")
    await teams.add_member("29:1new", "Noor")

    async def settled() -> bool:
        statuses = await _statuses(teams)
        return len(statuses) == 2 and all(s[0] not in ("pending", "in_flight") for s in statuses)

    await wait_for(settled, within=20)
    assert await _statuses(teams) == [("dead", 2, "http 503"), ("dead", 2, "http 503")]
    assert [c.status for c in teams.connector.calls_to("send")] == [503] * 4, "each retried"


async def test_teams_a_hanging_call_does_not_hold_back_other_members(
    teams: TeamsBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # timeouts long enough that only concurrency can get the others out before the hang ends
    monkeypatch.setattr(connector, "CALL_TIMEOUT", 60.0)
    assert teams.bot.teams is not None
    monkeypatch.setattr(teams.bot.teams.sender, "timeout", 60.0)
    users = [f"29:1m{i}" for i in range(6)]
    teams.connector.hang_next("create_conversation", 30, member=users[0])  # opening their 1:1
    for user in users:
        await teams.add_member(user, f"Member {user}")
    await wait_for(lambda: _true(teams.connector.hanging == 1), within=10)

    async def others_served() -> bool:
        return all(len(teams.messages_to(user)) == 2 for user in users[1:])

    await wait_for(others_served, within=15)
    assert teams.connector.hanging == 1 and teams.messages_to(users[0]) == [], "still hanging"
    teams.connector.release_hangs()
    await wait_for(lambda: _true(len(teams.messages_to(users[0])) == 2), within=15)

    async def all_recorded() -> bool:
        return [s[0] for s in await _statuses(teams)] == ["sent"] * 12

    await wait_for(all_recorded, within=10)


async def test_teams_a_stop_while_every_send_hangs_gives_back_the_rest_at_once(
    teams: TeamsBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # every slot hangs far longer than the checks below wait
    monkeypatch.setattr(connector, "CALL_TIMEOUT", 60.0)
    assert teams.bot.teams is not None
    monkeypatch.setattr(teams.bot.teams.sender, "timeout", 60.0)
    teams.connector.hang_next("send", 60, count=IN_FLIGHT)
    users = [f"29:1m{i}" for i in range(IN_FLIGHT + 2)]
    for user in users:
        await teams.add_member(user, f"Member {user}")
    await wait_for(lambda: _true(teams.connector.hanging == IN_FLIGHT), within=10)
    worker = teams.bot.worker
    # all welcomes claimed; the platform takes 4 at once, the others wait unstarted
    await wait_for(lambda: _true(worker.in_flight == len(users)), within=10)
    worker.stop()

    async def given_back() -> bool:
        firsts = [d for d in await _deliveries(teams) if d.action["type"] != "AskQuestion"]
        claims = sorted((d.status, d.attempts) for d in firsts)
        return claims == [("in_flight", 1)] * IN_FLIGHT + [("pending", 0)] * 2

    await wait_for(given_back, within=3)  # not after the hanging sends (60 s)
    teams.connector.release_hangs()
    await wait_for(lambda: _true(worker.in_flight == 0), within=10)
    sent = [s for s in await _statuses(teams) if s[0] == "sent"]
    assert sent == [("sent", 1, None)] * IN_FLIGHT, "the sends under way finished, recorded"
    restarted = asyncio.create_task(worker.run(idle_poll=0.1))
    try:

        async def all_sent() -> bool:
            return [s[0] for s in await _statuses(teams)] == ["sent"] * 2 * len(users)

        await wait_for(all_sent, within=20)
    finally:
        worker.stop()
        await asyncio.wait_for(restarted, 10)
    assert all(len(teams.messages_to(user)) == 2 for user in users), "each message once"


async def test_teams_a_201_whose_body_cannot_be_read_counts_as_sent_not_retried(
    teams: TeamsBot,
) -> None:
    teams.connector.fail_http_next("send", 201, body="{cut", content_type="application/json")
    await teams.add_member("29:1new", "Noor")

    async def settled() -> bool:
        statuses = await _statuses(teams)
        return len(statuses) == 2 and all(s[0] not in ("pending", "in_flight") for s in statuses)

    await wait_for(settled, within=20)
    assert [s[:2] for s in await _statuses(teams)] == [("sent", 1), ("sent", 1)]
    # the welcome went out once (its answer was cut); the question after it as usual
    assert [c.status for c in teams.connector.calls_to("send")] == [201, 201]
    assert len(teams.messages_to("29:1new")) == 1, "the question; the welcome is not sent again"


def test_teams_a_retry_after_given_as_an_http_date_is_honoured() -> None:
    in_two_minutes = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    throttled = Exception("connector said no")
    throttled.response = SimpleNamespace(  # type: ignore[attr-defined]
        status_code=429, headers={"Retry-After": in_two_minutes}
    )
    outcome = classify(throttled)
    assert outcome.status == "deferred"
    assert outcome.retry_after is not None and 90 <= outcome.retry_after <= 120
    seconds = Exception("connector said no")
    seconds.response = SimpleNamespace(  # type: ignore[attr-defined]
        status_code=503, headers={"Retry-After": "7"}
    )
    assert classify(seconds).retry_after == 7.0, "a number of seconds as before"
