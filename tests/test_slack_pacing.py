"""A fan-out goes at the pace Slack takes: after Slack's first 429 on chat.postMessage, the
workspace's posts are paced at what Slack took in the second before, instead of bursting into
the limit again after every pause (through the real sender, against the fake Web API limiting
posts per second)."""

from __future__ import annotations

import asyncio
import math
import tracemalloc

import pytest

from adapters.limits import Pacer
from adapters.slack.posting_pace import PostingPaces
from adapters.slack.sender import SlackSender
from bot.vocabulary import actions as act
from bot.vocabulary.events import WorkspaceRef
from tests.fakes.slack_api import FakeSlackApi

WORKSPACE = WorkspaceRef("slack", "T0001")
#: Posts a second the fake takes; the DMs sent: six seconds' worth.
LIMIT, DMS = 10, 60


async def token(team: str) -> str | None:
    return "xoxb-1" if team == "T0001" else None


async def test_after_a_429_the_workspace_posts_at_the_pace_slack_took() -> None:
    async with FakeSlackApi() as slack:
        slack.add_team("T0001", "xoxb-1")
        slack.enforce_rate("chat.postMessage", per_second=LIMIT)
        sender = SlackSender(token, slack.api_url)
        try:
            for i in range(DMS):  # each DM as soon as the previous one was taken
                dm = act.SendDirectMessage(user_id=f"U{i:04d}", text="Bienvenue")
                while (outcome := await sender.send(WORKSPACE, dm)).status != "sent":
                    assert outcome.status == "deferred", outcome
                    await asyncio.sleep(outcome.retry_after or 0.1)
        finally:
            await sender.close()
    taken = [c for c in slack.calls_to("chat.postMessage") if c.status == 200]
    assert sorted(c.args["channel"] for c in taken) == [f"U{i:04d}" for i in range(DMS)]
    # bursting after each pause would meet the limit every second: 5 refusals here; paced,
    # the first one (and one or two more if the machine delays some posts, not others)
    assert slack.rate_violations <= 3, f"{slack.rate_violations} posts refused"


class SimulatedTime:
    """Seconds that pass only when the sender (or the test) sleeps: a send takes no time."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


async def post_for(
    slack: FakeSlackApi, sender: SlackSender, time: SimulatedTime, until: float, start: int
) -> int:
    """DMs one after the other (a deferred one again after its wait) until ``until``: the next
    DM's number."""
    i = start
    while time.now < until:
        dm = act.SendDirectMessage(user_id=f"U{i:05d}", text="Bienvenue")
        outcome = await sender.send(WORKSPACE, dm)
        if outcome.status == "sent":
            i += 1
        else:
            assert outcome.status == "deferred", outcome
            await time.sleep(outcome.retry_after or 0.1)
    return i


def taken_between(slack: FakeSlackApi, first: int, last: int) -> int:
    """Posts Slack took to DMs numbered first..last-1."""
    posted = {c.args["channel"] for c in slack.calls_to("chat.postMessage") if c.status == 200}
    return sum(1 for i in range(first, last) if f"U{i:05d}" in posted)


async def test_when_slack_allows_more_later_the_pace_climbs_back_to_it() -> None:
    """A fan-out that met a low limit (another app posting a lot, say) is not stuck at it: once
    Slack takes more, the pace probes up and settles near the new limit."""
    time = SimulatedTime()
    async with FakeSlackApi() as slack:
        slack.add_team("T0001", "xoxb-1")
        slack.enforce_rate("chat.postMessage", per_second=4, clock=time)
        sender = SlackSender(token, slack.api_url, Pacer(clock=time, sleep=time.sleep))
        try:
            i = await post_for(slack, sender, time, 1010.0, 0)
            slack.enforce_rate("chat.postMessage", per_second=20, clock=time)
            i = await post_for(slack, sender, time, 1060.0, i)
            window = i
            i = await post_for(slack, sender, time, 1080.0, i)
        finally:
            await sender.close()
    # 20 simulated seconds at the new limit of 20 a second: 400 at most; a pace stuck at the
    # old limit would post 80
    assert taken_between(slack, window, i) >= 0.9 * 20 * 20


async def test_a_steady_limit_is_kept_near_and_seldom_hit() -> None:
    """At a limit that does not move, the pace stays just under it: nearly all Slack allows
    goes out, and probing above it costs a refusal (a Retry-After pause) only now and then."""
    time = SimulatedTime()
    async with FakeSlackApi() as slack:
        slack.add_team("T0001", "xoxb-1")
        slack.enforce_rate("chat.postMessage", per_second=LIMIT, clock=time)
        sender = SlackSender(token, slack.api_url, Pacer(clock=time, sleep=time.sleep))
        try:
            i = await post_for(slack, sender, time, 1090.0, 0)
        finally:
            await sender.close()
    # 90 simulated seconds at 10 a second: 900 at most
    assert taken_between(slack, 0, i) >= 0.95 * LIMIT * 90
    # the first 429 (the limit learned), one probe at most every half minute, fewer later
    assert slack.rate_violations <= 3, f"{slack.rate_violations} posts refused"


def test_posts_refused_together_cut_the_pace_once() -> None:
    """Several posts under way when Slack starts refusing come back 429 together: one refusal,
    not one cut per post (a fan-out of 16 at once would otherwise crawl after its first 429)."""
    time = SimulatedTime()
    paces = PostingPaces(time)
    for _ in range(50):
        time.now += 0.01
        paces.taken("T0001")
    sent_at = time.now
    for _ in range(8):  # the posts under way, refused one after the other
        time.now += 0.002
        paces.refused("T0001", sent_at)
    assert paces.rate("T0001") == 0.98 * 50


async def test_a_fan_out_keeps_its_connections_to_slack_open() -> None:
    """Posts reuse open connections to the Web API instead of opening one each (a new TCP and
    TLS handshake per message, and a socket left in TIME_WAIT, for every member)."""
    async with FakeSlackApi() as slack:
        slack.add_team("T0001", "xoxb-1")
        sender = SlackSender(token, slack.api_url)
        try:
            for i in range(20):
                dm = act.SendDirectMessage(user_id=f"U{i:04d}", text="Bienvenue")
                assert (await sender.send(WORKSPACE, dm)).status == "sent"
        finally:
            await sender.close()
    assert len(slack.calls_to("chat.postMessage")) == 20
    assert len(slack.api_connections) == 1


def test_a_workspace_never_refused_keeps_no_growing_record_of_its_posts() -> None:
    """Weeks of posts without a single 429 (most workspaces): what the pace remembers of them
    stays one second's worth, the process does not grow with every message it ever sent."""
    time = SimulatedTime()
    paces = PostingPaces(time)
    for _ in range(1000):  # warm up: the deque's first blocks
        time.now += 0.01
        paces.taken("T0001")
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(100_000):  # 1,000 simulated seconds at 100 posts a second
            time.now += 0.01
            paces.taken("T0001")
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert paces.rate("T0001") is None
    # 100,000 posts remembered would take ~3 MB (a float and a slot each)
    assert grown < 50_000, f"{grown} bytes kept for 100,000 posts"


def post_at_pace(
    paces: PostingPaces, time: SimulatedTime, seconds: float, times: list[float]
) -> float:
    """Posts taken one after the other at the learned pace for ``seconds`` (their times added
    to ``times``): the highest pace."""
    highest = 0.0
    until = time.now + seconds
    while time.now < until:
        rate = paces.rate("T0001") or 1.0
        highest = max(highest, rate)
        time.now += 1.0 / rate
        paces.taken("T0001")
        times.append(time.now)
    return highest


def test_room_given_to_bunched_posts_is_given_back_once_quiet() -> None:
    """A 429 at the pace it settled at (posts bunched by a busy moment, not a probe) makes room
    below the limit; after a quiet spell the probe above the limit gives it back: once the
    probe is refused the pace settles near the limit again — a busy minute does not slow every
    fan-out after it."""
    time = SimulatedTime()
    paces = PostingPaces(time)
    times: list[float] = []
    for _ in range(50):
        time.now += 0.02
        paces.taken("T0001")
    paces.refused("T0001", time.now)  # the limit learned: 50 a second
    post_at_pace(paces, time, 5.0, times)
    paces.refused("T0001", time.now)  # bunched posts, refused at the plateau
    lowered = post_at_pace(paces, time, 5.0, times)
    assert lowered < 0.98 * 50 - 0.5, "room made for bunched posts"
    probing = post_at_pace(paces, time, 32.0, times)
    assert probing > 0.98 * 50 + 0.5, "a quiet spell later it probes above the limit"
    took = sum(1 for t in times if t > time.now - 1.0)
    paces.refused("T0001", time.now)  # the probe finds the limit
    settled = post_at_pace(paces, time, 20.0, times)
    assert settled == pytest.approx(0.98 * took), "back at the plateau, the room given back"


def test_posts_held_up_together_start_no_faster_than_the_pace() -> None:
    """Posts let go at once (a busy moment held them up) start at most the pace in any one
    second, counted when each really starts; one that a 429 stops before it starts gives its
    place back."""
    time = SimulatedTime()
    paces = PostingPaces(time)
    for _ in range(10):
        time.now += 0.1
        paces.taken("T0001")
    paces.refused("T0001", time.now)  # the pace learned: 0.98 × 10 a second
    allowed = math.ceil(paces.rate("T0001") or 0)
    assert [paces.turn("T0001") for _ in range(allowed)] == [0.0] * allowed, "these start now"
    wait = paces.turn("T0001")
    assert 0 < wait <= 1.0, "the next one waits for the second to pass"
    paces.not_started("T0001")  # the last to start was stopped by a 429 after all
    assert paces.turn("T0001") == 0.0, "its place is given back"
    assert paces.turn("T0001") > 0
