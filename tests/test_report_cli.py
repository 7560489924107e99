"""``animateur report``: a community's pulse from the command line, as JSON (keys as issue 11
§2 names them), a text table with trend arrows, or CSV; exit 2 for what does not exist."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import json

import pytest

from bot.cli import main
from bot.runtime.clock import ManualClock
from bot.vocabulary import events as ev
from storage.references import StoredReferences
from storage.tables import Community
from tests.builders import T0
from tests.conftest import Harness
from tests.pulse_support import at, build_history, happen, joined, posted

AT = ["--at", "2026-11-30T12:00:00Z", "--weeks", "4"]
REPORT = ["report", "--workspace", "local:demo", "--community", "C-data", *AT]
#: every figure of §2, and what the report is of
KEYS = {
    "workspace",
    "community",
    "name",
    "at",
    "members",
    "active_7d",
    "active_7d_pct",
    "active_28d",
    "active_28d_pct",
    "contributors_28d",
    "contributors_28d_pct",
    "participation_28d",
    "questions_28d",
    "newcomers_28d",
    "rituals",
    "reciprocity_28d",
    "recognition_28d",
    "sponsors_last_active",
    "facilitators_last_active",
    "target_engagement_pct",
    "gap_points",
    "weeks",
    "withheld",
}


def _history(url: str, small: bool = False) -> None:
    async def build() -> None:
        harness = Harness.create(url, ManualClock(T0))
        try:
            await harness.seed()
            if small:
                for user in ("alice", "bob", "chloe"):
                    await happen(harness, joined(user, at(11, 24)))
            else:
                await build_history(harness)
        finally:
            await harness.store.close()

    asyncio.run(build())


def _run(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *args: str,
) -> tuple[int, str, str]:
    monkeypatch.setenv("ANIMATEUR_DATABASE_URL", database_url)
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_has_every_figure_by_its_name(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _history(database_url)
    code, out, _ = _run(database_url, monkeypatch, capsys, *REPORT, "--format", "json")

    assert code == 0
    got = json.loads(out)
    assert set(got) == KEYS
    assert (got["workspace"], got["community"], got["name"]) == (
        "local:demo",
        "C-data",
        "Data & IA",
    )
    assert got["at"] == "2026-11-30T12:00:00Z"
    assert (got["members"], got["active_28d_pct"], got["gap_points"]) == (11, 90.9, -30.9)
    assert got["questions_28d"]["median_first_answer_minutes"] == 52.5
    # the operator's view is a facilitator's: the threads waiting for an answer are linked
    assert got["questions_28d"]["unanswered_links"] == [
        {
            "channel": "C-data",
            "message_id": "p3",
            "asked_at": "2026-11-20T08:00:00Z",
            "url": "http://127.0.0.1:3000/playground",  # the playground's (its public URL)
        }
    ]
    assert [w["week"] for w in got["weeks"]] == ["2026-W45", "2026-W46", "2026-W47", "2026-W48"]
    assert got["weeks"][2]["median_first_answer_minutes"] is None
    # each week asked fewer than 5 questions: no weekly rate or answer time (as over 28 days)
    assert got["withheld"] == {
        **{f"weeks.2026-W{w}.answered_pct": "fewer than 5" for w in (45, 46, 47, 48)},
        **{f"weeks.2026-W{w}.median_first_answer_minutes": "fewer than 5" for w in (45, 46, 48)},
        "weeks.2026-W47.median_first_answer_minutes": "no answered question",
    }


def test_text_is_a_table_with_trend_arrows(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _history(database_url)
    code, out, _ = _run(database_url, monkeypatch, capsys, *REPORT)

    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Data & IA — local:demo C-data — at 2026-11-30T12:00:00Z"
    assert "active, 28 days           10 (90.9 % of members)" in lines
    assert "participation, 28 days    lurkers 3 · occasional 6 · regular 2" in lines
    assert "target engagement         60 % · gap -30.9 points" in lines
    assert "  C-data p3 (asked 2026-11-20T08:00:00Z) http://127.0.0.1:3000/playground" in lines
    weeks = {line.split()[0]: line.split()[1:] for line in lines if line.startswith("2026-W")}
    # members, active %, contributors %, answered %, median — each with its arrow
    # (each week asked fewer than 5 questions: its answer rate and time are withheld, "—")
    assert weeks["2026-W45"] == ["8", "50.0", "25.0", "—", "—"]
    assert weeks["2026-W46"] == ["9", "↑", "44.4", "↓", "44.4", "↑", "—", "—"]
    assert weeks["2026-W47"] == ["10", "↑", "10.0", "↓", "10.0", "↓", "—", "—"]
    assert weeks["2026-W48"] == ["11", "↑", "81.8", "↑", "54.5", "↑", "—", "—"]


def test_csv_is_one_figure_a_row(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _history(database_url)
    code, out, _ = _run(database_url, monkeypatch, capsys, *REPORT, "--format", "csv")

    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["figure", "value", "withheld"]
    got = {row["figure"]: (row["value"], row["withheld"]) for row in rows}
    assert got["members"] == ("11", "")
    assert got["participation_28d.regular"] == ("2", "")
    assert got["questions_28d.p90_first_answer_minutes"] == ("102.0", "")
    assert got["rituals.welcome.response_rate_pct"] == ("50.0", "")
    assert got["weeks.2026-W48.active_pct"] == ("81.8", "")
    assert got["weeks.2026-W47.median_first_answer_minutes"] == ("", "no answered question")
    assert got["sponsors_last_active"] == ("2026-11-25T11:00:00Z", "")


def test_figures_under_5_members_are_withheld_in_every_format(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _history(database_url, small=True)
    code, out, _ = _run(database_url, monkeypatch, capsys, *REPORT, "--format", "json")
    assert code == 0
    got = json.loads(out)
    assert got["members"] == 3
    assert got["active_28d_pct"] is None and got["withheld"]["active_28d_pct"] == "fewer than 5"

    code, out, _ = _run(database_url, monkeypatch, capsys, *REPORT)
    assert "active, 28 days           — (fewer than 5)" in out.splitlines()
    code, out, _ = _run(database_url, monkeypatch, capsys, *REPORT, "--format", "csv")
    rows = {r["figure"]: (r["value"], r["withheld"]) for r in csv.DictReader(io.StringIO(out))}
    assert rows["active_28d_pct"] == ("", "fewer than 5")
    assert rows["members"] == ("3", "")


def test_the_demo_workspace_reports_before_anything_happened(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _history(database_url, small=True)
    args = ["report", "--workspace", "local:demo", "--community", "C-data", "--format", "json"]
    code, out, _ = _run(database_url, monkeypatch, capsys, *args)  # now, 12 weeks
    assert code == 0
    got = json.loads(out)
    assert got["members"] == 3 and len(got["weeks"]) == 12


@pytest.mark.parametrize(
    ("workspace", "community", "said"),
    [
        ("slack:T404", "C-data", "cannot report: no workspace slack:T404 in this database"),
        (
            "local:demo",
            "C-nope",
            "cannot report: no community on channel C-nope in local:demo "
            "(its communities: C-data (Data & IA))",
        ),
    ],
)
def test_an_unknown_workspace_or_community_exits_2_saying_so(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    workspace: str,
    community: str,
    said: str,
) -> None:
    _history(database_url, small=True)
    code, out, err = _run(
        database_url,
        monkeypatch,
        capsys,
        *["report", "--workspace", workspace, "--community", community],
    )
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == said


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--workspace", "demo"], "give platform:id"),
        (["--workspace", "discord:G1"], "give platform:id"),
        (["--workspace", "local:demo", "--at", "yesterday"], "give an ISO 8601 moment"),
        (["--workspace", "local:demo", "--weeks", "500"], "0 to 104"),
    ],
)
def test_malformed_options_exit_2_saying_what_to_give(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    said: str,
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["report", "--community", "C-data", *args])
    assert exited.value.code == 2
    assert said in capsys.readouterr().err


def _platform_history(url: str, workspace: ev.WorkspaceRef, channel: str, question: str) -> None:
    """Five members of a community on ``workspace``'s ``channel``; one asked ``question`` (a
    message id) on 11-20, and nobody answered. On Teams, the bot knows the channel's team but
    not yet the team's group."""

    async def build() -> None:
        harness = Harness.create(url, ManualClock(at(11, 2)))
        try:
            async with harness.store.transaction() as tx:
                found = await tx.directory.ensure_workspace(workspace, at(11, 2), "Acme")
                assert found.id is not None
                await tx.directory.add_community(
                    Community(
                        workspace_id=found.id,
                        channel_id=channel,
                        name="Data",
                        objective="",
                        charter="",
                        facilitators=["U-dan"],
                        created_at=at(11, 2),
                    )
                )
            for user in ("alice", "bob", "chloe", "dan", "emma"):
                joining = joined(user, at(11, 3), channel)
                await happen(harness, dataclasses.replace(joining, workspace=workspace))
            asked = posted("alice", question, at(11, 20, 8), question=True, channel=channel)
            await happen(harness, dataclasses.replace(asked, workspace=workspace))
            if workspace.platform == "teams":
                await StoredReferences(harness.store).save(
                    workspace, {f"team:{channel}": {"id": channel}}
                )
        finally:
            await harness.store.close()

    asyncio.run(build())


def test_the_report_links_each_unanswered_question_as_its_platform_does(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    slack = ev.WorkspaceRef("slack", "T0001")
    _platform_history(database_url, slack, "C0001", "1763625600.000100")
    teams = ev.WorkspaceRef("teams", "tid-0001")
    general = "19:team-general@thread.tacv2"
    _platform_history(database_url, teams, general, "1763625600000")

    args = ("--community", "C0001", *AT)
    code, out, _ = _run(
        database_url, monkeypatch, capsys, "report", "--workspace", "slack:T0001", *args
    )
    assert code == 0
    # no workspace address known to the command: Slack's own, which opens the viewer's
    assert (
        "  C0001 1763625600.000100 (asked 2026-11-20T08:00:00Z) "
        "https://slack.com/archives/C0001/p1763625600000100"
    ) in out.splitlines()

    args = ("--community", general, *AT)
    code, out, _ = _run(
        database_url, monkeypatch, capsys, "report", "--workspace", "teams:tid-0001", *args
    )
    assert code == 0
    # the team's group id not known yet: the link opens the channel
    assert (
        f"  {general} 1763625600000 (asked 2026-11-20T08:00:00Z) "
        "https://teams.microsoft.com/l/channel/19:team-general@thread.tacv2/channel"
        "?tenantId=tid-0001"
    ) in out.splitlines()
    code, out, _ = _run(
        database_url, monkeypatch, capsys, "report", "--workspace", "teams:tid-0001", *args,
        "--format", "json",
    )  # fmt: skip
    [question] = json.loads(out)["questions_28d"]["unanswered_links"]
    assert question["url"].startswith("https://teams.microsoft.com/l/channel/19:team-general")
