"""The pulse's "recognition" figure: kudos given in the community over the last 28 days — how
many, by how many givers, to how many receivers — withheld while the community has fewer than 5
members, and shown by ``animateur report`` as text, JSON and CSV."""

from __future__ import annotations

from datetime import datetime

from bot.runtime.pulse_render import as_csv, as_text
from bot.runtime.pulse_report import community_report
from storage.tables import Community, Kudos
from tests.builders import WORKSPACE
from tests.conftest import Harness
from tests.pulse_support import CHANNEL, REPORT_AT, at, happen, joined


async def thank(harness: Harness, giver: str, receiver: str, when: datetime) -> None:
    async with harness.store.transaction() as tx:
        workspace = await tx.directory.workspace(WORKSPACE)
        assert workspace is not None and workspace.id is not None
        community = await tx.directory.community_by_channel(workspace.id, CHANNEL)
        assert isinstance(community, Community) and community.id is not None
        await tx.kudos.add(
            Kudos(
                workspace_id=workspace.id,
                community_id=community.id,
                giver=f"U-{giver}",
                receiver=f"U-{receiver}",
                reason="helped",
                created_at=when,
            )
        )


async def test_recognition_counts_the_kudos_of_28_days_and_is_withheld_under_5(
    harness: Harness,
) -> None:
    for user in ("alice", "bob", "chloe", "dan"):
        await happen(harness, joined(user, at(10, 1)))
    await thank(harness, "alice", "bob", at(10, 20))  # before the 28 days
    await thank(harness, "alice", "bob", at(11, 10))
    await thank(harness, "alice", "chloe", at(11, 20))
    await thank(harness, "dan", "bob", at(11, 29))
    await thank(harness, "dan", "bob", at(11, 30, 13))  # after t

    small = await community_report(harness.store, WORKSPACE, CHANNEL, REPORT_AT, weeks=0)
    assert small.as_json()["recognition_28d"] is None
    assert small.as_json()["withheld"]["recognition_28d"] == "fewer than 5"
    assert "recognition, 28 days      — (fewer than 5)" in as_text(small).splitlines()

    await happen(harness, joined("emma", at(11, 2)))
    report = await community_report(harness.store, WORKSPACE, CHANNEL, REPORT_AT, weeks=0)
    assert report.as_json()["recognition_28d"] == {"kudos": 3, "givers": 2, "receivers": 2}
    assert "recognition_28d" not in report.as_json()["withheld"]
    assert (
        "recognition, 28 days      3 kudos · 2 givers · 2 receivers" in as_text(report).splitlines()
    )
    rows = as_csv(report).splitlines()
    assert "recognition_28d.kudos,3," in rows
    assert "recognition_28d.givers,2," in rows
    assert "recognition_28d.receivers,2," in rows
