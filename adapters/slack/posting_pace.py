"""What Slack takes of a workspace's chat.postMessage calls, learned from its 429s.

Slack publishes no fixed workspace ceiling for posting; it answers 429 + Retry-After when a
workspace posts faster than it allows. A fan-out that bursts into that limit pauses for the whole
Retry-After at each refusal, so the pace is learned instead, and kept near the limit:

- the first 429 measures the limit: what Slack took in the second before it; posts then go at
  a share of that (:data:`PLATEAU`), evenly, never as a burst;
- a later 429 cuts the pace (multiplicatively, :data:`DECREASE`) and measures the limit again
  (a 429 that met no probe lowers the plateau a little: the network bunched posts, they need
  more room);
  429s answering calls sent before that cut (they were under way at the old pace) are one and
  the same refusal, never cut again;
- below the measured limit the pace climbs back by steps (additive increase) every
  :data:`RECOVER_EVERY` seconds without a 429;
- a 429 that met no probe lowers the plateau's share of the limit (posts were bunched: they
  need more room) until the next probe, which gives it back (quiet that long, the bunching
  passed);
- at the plateau, after :data:`PROBE_AFTER` quiet seconds (doubled each time a probe only finds
  the same limit again, so that a stable limit is seldom hit), the pace probes above it, by
  growing steps, until Slack refuses again — Slack may take more now.

The pace only grows while the workspace posts at it (a quiet workspace learns nothing). Besides
the even spacing of the pacer, no more posts start in any one second than the pace allows,
counted when each really starts: sends held up together (a busy event loop) then go out spaced
again instead of bunched into Slack's window.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

#: Share of the measured limit the pace settles at (room for the network's jitter).
PLATEAU = 0.98
#: A 429 while paced: the pace is cut to this share of the lower of it and what Slack took.
DECREASE = 0.9
#: Below the plateau: one step of RECOVER_STEP × the limit per RECOVER_EVERY quiet seconds.
RECOVER_STEP, RECOVER_EVERY = 0.02, 0.5
#: At the plateau: quiet seconds before probing above the limit (doubled after each probe that
#: found the same limit, up to MAX_PROBE_AFTER); then a step every PROBE_EVERY seconds, each
#: twice the last (the first PROBE_STEP × the limit).
PROBE_AFTER, MAX_PROBE_AFTER = 30.0, 480.0
PROBE_STEP, PROBE_EVERY = 0.02, 1.0
#: The pace grows only while the workspace posts at least this share of it.
BUSY = 0.8
#: A limit measured within this share of the last one is the same limit.
SAME_LIMIT = 1.02
#: A 429 at or below the plateau (no probe: the network bunched posts into Slack's second)
#: lowers the plateau's share of the limit by this much, down to MIN_SHARE.
SHARE_STEP, MIN_SHARE = 0.02, 0.9


@dataclass(slots=True)
class _Pace:
    rate: float  # posts a second allowed now
    limit: float  # what Slack took in the second before its last 429
    changed: float  # when ``rate`` last changed
    cut: float  # when the last 429 cut it (calls sent before: the same refusal)
    patience: float  # quiet seconds at the plateau before probing
    probes: int = 0  # probing steps taken since the plateau
    share: float = PLATEAU  # of the limit, the plateau (lowered by 429s that were no probe)


class PostingPaces:
    """Per workspace: its learned posting pace (None until Slack first refused)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._paces: dict[str, _Pace] = {}
        #: per workspace: when its posts went through, over the last second
        self._posted: dict[str, deque[float]] = {}
        #: per workspace: when its posts started, over the last second (while paced)
        self._started: dict[str, deque[float]] = {}

    def rate(self, team: str) -> float | None:
        pace = self._paces.get(team)
        return pace.rate if pace is not None else None

    def turn(self, team: str) -> float:
        """Seconds until this post may start so that no more posts than the pace allows start
        in any one second (0: it starts now, and is counted). Counted when it really starts,
        not when it was scheduled to: posts held up together (a busy event loop, a slow
        statement) and then let go at once would otherwise reach Slack bunched into one of
        its seconds — each such second a 429, and a whole Retry-After without posting."""
        pace = self._paces.get(team)
        if pace is None:
            return 0.0
        now = self._clock()
        started = self._started.setdefault(team, deque())
        while started and now - started[0] >= 1.0:
            started.popleft()
        allowed = max(1, math.ceil(pace.rate - 1e-9))
        if len(started) >= allowed:
            return max(started[-allowed] + 1.0 - now, 1e-6)  # never 0: that would start it
        started.append(now)
        return 0.0

    def not_started(self, team: str) -> None:
        """The post :meth:`turn` just counted does not start after all (a 429 paused the
        workspace meanwhile): its place in the second is given back."""
        started = self._started.get(team)
        if started:
            started.pop()

    def _last_second(self, team: str, now: float) -> int:
        posted = self._posted.setdefault(team, deque())
        while posted and now - posted[0] > 1.0:
            posted.popleft()
        return len(posted)

    def taken(self, team: str) -> None:
        """A post went through: counted, and the pace grows if it is due to."""
        now = self._clock()
        self._posted.setdefault(team, deque()).append(now)
        last_second = self._last_second(team, now)  # also forgets older posts: paced or not
        pace = self._paces.get(team)
        if pace is None:
            return
        busy = last_second >= BUSY * pace.rate
        plateau = pace.limit * pace.share
        quiet = now - pace.changed
        if pace.rate < plateau - 1e-9:
            if quiet >= RECOVER_EVERY and busy:
                pace.rate = min(plateau, pace.rate + RECOVER_STEP * pace.limit)
                pace.changed = now
            return
        wait = pace.patience if pace.probes == 0 else PROBE_EVERY
        if quiet >= wait and busy:
            # quiet that long: the room bunched posts needed (a busy moment, the network) is
            # given back — the pace settles at PLATEAU again after this probe
            pace.share = PLATEAU
            pace.rate += PROBE_STEP * pace.limit * 2**pace.probes
            pace.probes += 1
            pace.changed = now

    def refused(self, team: str, sent_at: float) -> None:
        """Slack answered 429 to a post sent at ``sent_at``: learn or cut the pace."""
        now = self._clock()
        took = float(max(1, self._last_second(team, now)))
        pace = self._paces.get(team)
        if pace is None:
            self._paces[team] = _Pace(took * PLATEAU, took, now, now, PROBE_AFTER)
            return
        if sent_at < pace.cut:
            return  # sent at the old pace: part of the refusal that cut it
        if not pace.probes:
            # refused at the pace it settled at: Slack takes no more than measured before
            # (our count of its second is a post or two off), and posts need more room
            took = min(took, pace.limit)
            pace.share = max(MIN_SHARE, pace.share - SHARE_STEP)
        elif took <= pace.limit * SAME_LIMIT:
            pace.patience = min(MAX_PROBE_AFTER, pace.patience * 2)  # the same limit
        else:
            pace.patience = PROBE_AFTER  # Slack takes more than it did: it may move again
        pace.rate = max(1.0, min(pace.rate, took) * DECREASE)
        pace.limit, pace.changed, pace.cut, pace.probes = took, now, now, 0
