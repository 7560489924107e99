"""``animateur privacy export|erase``: everything stored about a person, and its erasure —
after which no row names them while everyone else's data stays; the outbox forgets sent texts
after the retention; every table is declared, so none is forgotten."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import JSON, String, Text, select
from sqlalchemy.exc import OperationalError
from sqlmodel import SQLModel

from bot.cli import main
from bot.runtime.clock import ManualClock
from bot.runtime.person_keys import PersonKeys
from bot.runtime.privacy import (
    LastFacilitator,
    StillOptedOut,
    UnknownSuccessor,
    erase_person,
    export_person,
)
from bot.runtime.scheduler import Scheduler
from bot.vocabulary import events as ev
from playbooks.loader import load_library
from storage.privacy_columns import NOT_A_PERSON, PERSON_COLUMNS
from storage.references import StoredReferences
from storage.slack_tables import INSTALLATIONS, SLACK_METADATA
from storage.tables import Delivery, ProcessedEvent, RitualLaunch
from tests.builders import T0, WORKSPACE, answer, click, command, joined
from tests.conftest import Harness
from tests.test_history_queries import recorded

ALICE, NAME = "U-alice", "Alice Martin"
TABLES = [*SQLModel.metadata.sorted_tables, *SLACK_METADATA.sorted_tables]


def _texts(table: Any) -> list[str]:
    kinds = [(c.name, getattr(c.type, "impl_instance", c.type)) for c in table.columns]
    return [name for name, kind in kinds if isinstance(kind, String | Text | JSON)]


def test_every_table_and_text_column_is_declared_for_privacy() -> None:
    """A new table, or a new text column, must say whether it names a person (then export and
    erasure handle it) or why not: storage/privacy_columns.py."""
    assert {t.name for t in TABLES} == set(PERSON_COLUMNS), "declare the table in PERSON_COLUMNS"
    undeclared = [
        f"{t.name}.{c}"
        for t in TABLES
        for c in _texts(t)
        if c not in PERSON_COLUMNS[t.name] and f"{t.name}.{c}" not in NOT_A_PERSON
    ]
    assert undeclared == []
    declared = {f"{t.name}.{c}" for t in TABLES for c in _texts(t)}
    assert set(NOT_A_PERSON) - declared == set(), "a declared column that is no more"


async def _history(harness: Harness) -> None:
    """Alice joins (and accepts the charter), answers the check-in, asks a question Bob
    answers, answers Chloé's, reacts, gets kudos and gives some, is made facilitator; Chloé too
    answers the check-in and posts."""
    d = harness.dispatcher
    for user in (ALICE, "U-chloe"):
        await d.handle(joined(user))
    # she added the bot to a Teams team, Dan to another
    installers = {"installer:19:t1": {"id": ALICE}, "installer:19:t2": {"id": "U-dan"}}
    await StoredReferences(harness.store).save(WORKSPACE, installers)
    [welcome] = [r for r in await harness.runs() if r.subject == ALICE]
    await d.handle(click(f"run:{welcome.id}:charter", "accept", user=ALICE))
    await d.handle(command("U-dan", "checkin now"))
    await d.idle()
    await harness.scheduler.tick()
    await d.idle()
    asked = {
        dl.recipient: dl.action["callback"]
        for dl in await harness.deliveries()
        if dl.action["type"] == "AskQuestion" and ":objective" in dl.action["callback"]
    }
    await d.handle(answer(asked[ALICE], "ship the data catalogue", user=ALICE))
    await d.handle(answer(asked["U-chloe"], "review two pull requests", user="U-chloe"))

    def base() -> ev.EventFields:
        return ev.EventFields(workspace=WORKSPACE, key=f"p-{next(keys)}", occurred_at=T0)

    keys = iter(range(1000))
    alice = ev.MemberProfile(ALICE, NAME)
    chloe = ev.MemberProfile("U-chloe", "Chloé Dubois")
    msg = ev.MessagePosted
    await d.handle(msg(**base(), channel="C-data", member=alice, message_id="m1", is_question=True))
    await d.handle(
        msg(
            **base(),
            channel="C-data",
            member=chloe,
            message_id="m2",
            thread="m1",
            parent_author=ALICE,
        )
    )
    await d.handle(msg(**base(), channel="C-data", member=chloe, message_id="m3", is_question=True))
    await d.handle(
        msg(
            **base(),
            channel="C-data",
            member=alice,
            message_id="m4",
            thread="m3",
            parent_author="U-chloe",
        )
    )
    await d.handle(
        ev.ReactionAdded(**base(), channel="C-data", member=alice, reaction="tada", message_id="m3")
    )
    await d.handle(
        ev.ReactionAdded(**base(), channel="C-data", member=chloe, reaction="eyes", message_id="m1")
    )
    for who, line in (
        ("U-dan", "kudos U-alice for the catalogue demo"),
        (ALICE, "kudos U-chloe for the review"),
        ("U-dan", "facilitator add U-alice"),
    ):
        await d.handle(command(who, line))
    await d.idle()
    await harness.worker.drain()
    async with harness.store.transaction() as tx:  # Dan had invited her to facilitate
        [community] = await tx.directory.communities()
        assert community.id is not None
        await tx.champions.invite(community.workspace_id, community.id, ALICE, "U-dan", T0)


async def _naming(harness: Harness, needles: tuple[str, ...]) -> list[str]:
    """Every text or JSON value in any table that holds one of ``needles``."""
    found = []
    async with harness.store.read() as tx:
        for table in TABLES:
            columns = _texts(table)
            for row in (await tx.session.execute(select(table))).mappings().all():
                for column in columns:
                    value = json.dumps(row[column], ensure_ascii=False)
                    if any(n in value for n in needles):
                        found.append(f"{table.name}.{column}: {value[:120]}")
    return found


async def _of_chloe(harness: Harness) -> dict[str, Any]:
    data = await export_person(harness.store, WORKSPACE, "U-chloe")
    return {
        "member": data["member"]["display_name"],
        "answers": [a["value"] for a in data["answers"]],
        "activity": [(a["kind"], a["message_id"]) for a in data["activity"]],
        "days": [(x["posts"], x["replies"], x["reactions"]) for x in data["daily_counts"]],
        "asked": [q["message_id"] for q in data["questions_asked"]],
    }


@pytest.fixture
async def harness(database_url: str) -> Any:
    built = Harness.create(database_url, ManualClock(T0), load_library())
    await built.seed(["welcome", "checkin"])
    yield built
    await built.store.close()


async def test_export_holds_what_she_answered_and_did(harness: Harness) -> None:
    await _history(harness)
    data = await export_person(harness.store, WORKSPACE, ALICE)
    assert data["member"]["display_name"] == NAME
    assert {(a["key"], a["value"]) for a in data["answers"]} >= {
        ("charter", "accept"),
        ("objective", "ship the data catalogue"),
    }
    kinds = [(a["kind"], a["message_id"] or a["target_id"]) for a in data["activity"]]
    assert ("message_posted", "m1") in kinds and ("reaction_added", "m3") in kinds
    assert [q["message_id"] for q in data["questions_asked"]] == ["m1"]
    assert [q["message_id"] for q in data["questions_answered"]] == ["m3"]
    assert [k["reason"] for k in data["kudos_received"]] == ["the catalogue demo"]
    assert [k["reason"] for k in data["kudos_given"]] == ["the review"]
    roles = [{k: v for k, v in r.items() if k != "community_id"} for r in data["roles"]]
    assert roles == [
        {"channel": "C-data", "name": "Data & IA", "facilitator": True, "sponsor": False}
    ]
    assert any(m["action"]["type"] == "AskQuestion" for m in data["messages_to_them"])
    assert [c["channel_id"] for c in data["communities"]] == ["C-data"]
    assert [(i["user_id"], i["invited_by"]) for i in data["champion_invitations"]] == [
        (ALICE, "U-dan")
    ]
    json.dumps(data)  # all of it is JSON


async def test_erase_leaves_no_row_naming_her_and_chloe_keeps_hers(harness: Harness) -> None:
    await _history(harness)
    assert await _naming(harness, (ALICE, NAME)), "the history names her before"
    chloe_before = await _of_chloe(harness)
    assert chloe_before["answers"] == ["review two pull requests"]

    erasure = await erase_person(harness.store, WORKSPACE, ALICE, T0)

    assert await _naming(harness, (ALICE, NAME)) == []
    references = StoredReferences(harness.store)
    assert await references.get(WORKSPACE, "installer:19:t2") == {"id": "U-dan"}
    assert erasure.counts["member"] == 1 and erasure.counts["answer"] >= 2
    assert erasure.counts["kudos"] == 2 and erasure.counts["community"] == 1
    assert erasure.counts["championinvite"] == 1
    assert erasure.orphaned == [], "Dan still facilitates"
    assert await _of_chloe(harness) == chloe_before
    async with harness.store.read() as tx:
        [community] = await tx.directory.communities()
    assert community.facilitators == ["U-dan"]


async def test_erasing_the_last_facilitator_needs_who_takes_over(harness: Harness) -> None:
    """Nobody else could run the community (on Teams and in the playground no workspace
    administrator can): the erasure is refused, whole, until someone is named."""
    await harness.dispatcher.handle(joined(ALICE))
    await harness.dispatcher.handle(joined("U-chloe"))
    await harness.dispatcher.handle(command("U-dan", "facilitator add U-alice"))
    await harness.dispatcher.handle(command("U-alice", "facilitator remove U-dan"))
    with pytest.raises(LastFacilitator) as refused:
        await erase_person(harness.store, WORKSPACE, ALICE, T0)
    assert refused.value.communities == [("C-data", "Data & IA")]
    assert (await export_person(harness.store, WORKSPACE, ALICE))["member"], "nothing erased"
    with pytest.raises(UnknownSuccessor):
        await erase_person(harness.store, WORKSPACE, ALICE, T0, successor="U-nobody")
    erasure = await erase_person(harness.store, WORKSPACE, ALICE, T0, successor="U-chloe")
    assert (erasure.orphaned, erasure.handed) == ([], [("C-data", "Data & IA")])
    async with harness.store.read() as tx:
        [community] = await tx.directory.communities()
    assert (community.facilitators, community.name) == (["U-chloe"], "Data & IA")
    assert community.sponsors == ["U-emma"]
    await erase_person(harness.store, WORKSPACE, "U-emma", T0)  # the sponsor
    async with harness.store.read() as tx:
        [community] = await tx.directory.communities()
    assert (community.sponsors, community.name) == ([], "Data & IA")


async def test_sent_texts_are_erased_after_the_retention_not_recent_or_unsent_ones(
    harness: Harness,
) -> None:
    await harness.dispatcher.handle(joined(ALICE))  # welcome messages, sent at T0
    await harness.worker.drain()
    harness.clock.now = T0 + timedelta(days=25)
    await harness.dispatcher.handle(joined("U-chloe"))  # sent 25 days later
    await harness.worker.drain()
    async with harness.store.transaction() as tx:
        workspace = await tx.directory.workspace(WORKSPACE)
        assert workspace is not None and workspace.id is not None
        await tx.outbox.enqueue(  # never sent (its recipient is away, say)
            workspace_id=workspace.id,
            action={"type": "SendDirectMessage", "user_id": ALICE, "text": "later"},
            recipient=ALICE,
            now=T0,
        )
    before = {d.id: d for d in await harness.deliveries()}
    assert {d.status for d in before.values()} == {"sent", "pending"}
    harness.clock.now = T0 + timedelta(days=31)
    scheduler = Scheduler(
        harness.store, harness.dispatcher.handle, harness.dispatcher.fire_schedule,
        harness.engine.playbooks, harness.clock, delivery_retention=timedelta(days=30),
    )  # fmt: skip
    await scheduler.tick()

    after = {d.id: d for d in await harness.deliveries()}
    old = [i for i, d in before.items() if d.status == "sent" and d.sent_at == T0]
    recent = [i for i, d in before.items() if d.sent_at == T0 + timedelta(days=25)]
    [unsent] = [i for i, d in before.items() if d.status == "pending"]
    assert old and recent
    for i in old:
        assert after[i].action == {"type": before[i].action["type"], "erased": True}
        assert (after[i].text_erased_at, after[i].recipient, after[i].sent_at) == (
            harness.clock.now, before[i].recipient, T0,
        ), "who and when stay"  # fmt: skip
    assert [after[i].action for i in recent] == [before[i].action for i in recent], "kept"
    assert after[unsent].action["text"] == "later", "never sent: kept"


def _cli(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: Any, *args: str
) -> tuple[int, str, str]:
    monkeypatch.setenv("ANIMATEUR_DATABASE_URL", url)
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err.splitlines()[-1] if out.err else ""


def _seeded(url: str) -> None:
    async def build() -> None:
        harness = Harness.create(url, ManualClock(T0), load_library())
        try:
            await harness.seed(["welcome", "checkin"])
            await harness.dispatcher.handle(joined(ALICE))
            [welcome] = await harness.runs()
            await harness.dispatcher.handle(
                click(f"run:{welcome.id}:charter", "accept", user=ALICE)
            )
            await harness.dispatcher.handle(command("U-dan", "facilitator add U-alice"))
            await harness.dispatcher.handle(command(ALICE, "facilitator remove U-dan"))
            await harness.dispatcher.handle(joined("U-chloe"))  # who may take over
        finally:
            await harness.store.close()

    asyncio.run(build())


def test_cli_export_erase_and_unknown_ones(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _seeded(database_url)
    ws = ["--workspace", "local:demo", "--user", ALICE]
    code, out, _ = _cli(database_url, monkeypatch, capsys, "privacy", "export", *ws)
    assert code == 0
    assert [(a["key"], a["value"]) for a in json.loads(out)["answers"]] == [("charter", "accept")]

    code, _, err = _cli(database_url, monkeypatch, capsys, "privacy", "erase", *ws)
    assert (code, err) == (1, f"not erased: confirm with --yes to erase {ALICE} from local:demo")
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    asked: list[str] = []
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or "n")
    code, out, _ = _cli(database_url, monkeypatch, capsys, "privacy", "erase", *ws)
    assert (code, out, asked) == (
        1, "not erased\n", [f"Erase everything stored about {ALICE} in local:demo? [y/N] "]
    )  # fmt: skip
    code, _, err = _cli(database_url, monkeypatch, capsys, "privacy", "erase", *ws, "--yes")
    assert (code, err) == (
        1,
        f"not erased: {ALICE} is the last facilitator of Data & IA (C-data); name who takes "
        "over with --facilitator <user id> (nobody else could run it)",
    )
    code, out, _ = _cli(
        database_url, monkeypatch, capsys, "privacy", "erase", *ws, "--yes",
        "--facilitator", "U-chloe",
    )  # fmt: skip
    assert code == 0
    assert out.startswith(f"Erased {ALICE} from local:demo. Rows removed or made anonymous")
    assert re.search(r"^  member +1$", out, re.M) and re.search(r"^  answer +1$", out, re.M)
    assert out.endswith("Data & IA (C-data) is now run by U-chloe, its facilitator.\n")

    code, _, err = _cli(database_url, monkeypatch, capsys, "privacy", "export", *ws)
    assert (code, err) == (2, f"cannot export: nothing is stored about {ALICE} in local:demo")
    code, _, err = _cli(
        database_url, monkeypatch, capsys, "privacy", "erase", "--workspace", "slack:T404",
        "--user", ALICE, "--yes",
    )  # fmt: skip
    assert (code, err) == (2, "cannot erase: no workspace slack:T404 in this database")


async def test_erase_forgets_her_conversations_event_keys_and_launches_keeping_the_channels(
    harness: Harness,
) -> None:
    """Teams references: her 1:1 goes; the channel's, where she spoke last, forgets her and
    still lets the bot post there. Her event keys go; a check-in she ran stays, by nobody."""
    await harness.dispatcher.handle(joined(ALICE))
    await harness.dispatcher.handle(command("U-dan", "facilitator add U-alice"))
    await harness.dispatcher.handle(command(ALICE, "checkin now"))
    await harness.dispatcher.idle()
    await harness.scheduler.tick()
    references = StoredReferences(harness.store)
    spoke = {"user": {"id": ALICE, "name": NAME}, "serviceUrl": "https://smba.example/"}
    channel = {**spoke, "conversation": {"id": "19:general", "conversationType": "channel"}}
    personal = {**spoke, "conversation": {"id": "a:1on1", "conversationType": "personal"}}
    await references.save(
        WORKSPACE,
        {"channel:C-data": channel, f"user:{ALICE}": personal, "conversation:a:1on1": personal},
    )
    async with harness.store.transaction() as tx:
        assert await tx.activity.mark_processed(f"local:demo:Ev42:{ALICE}", T0)
        assert await tx.activity.mark_processed("local:demo:Ev42:U-chloe", T0)

    erasure = await erase_person(harness.store, WORKSPACE, ALICE, T0)

    assert erasure.counts["conversationreference"] == 3
    assert await references.get(WORKSPACE, "channel:C-data") == {
        "serviceUrl": "https://smba.example/",
        "conversation": {"id": "19:general", "conversationType": "channel"},
    }
    assert await references.get(WORKSPACE, f"user:{ALICE}") is None
    assert await references.get(WORKSPACE, "conversation:a:1on1") is None
    async with harness.store.read() as tx:
        launches = (await tx.session.execute(select(RitualLaunch))).scalars().all()
        keys = (await tx.session.execute(select(ProcessedEvent.key))).scalars().all()
    assert [(x.playbook, x.requested_by, x.status) for x in launches] == [("checkin", None, "done")]
    assert "local:demo:Ev42:U-chloe" in keys and not [k for k in keys if ALICE in k]
    assert await _naming(harness, (ALICE, NAME)) == []


async def test_erasing_the_slack_installer_keeps_the_installation_working(
    harness: Harness,
) -> None:
    slack = ev.WorkspaceRef("slack", "T042")
    async with harness.store.transaction() as tx:
        await tx.directory.ensure_workspace(slack, T0)
        await tx.session.execute(
            INSTALLATIONS.insert(),
            [
                {"client_id": "1.2", "app_id": "A1", "team_id": "T042", "user_id": user,
                 "bot_token": "fernet:sealed", "user_token": f"xoxp-{user}",
                 "is_enterprise_install": False, "installed_at": T0.replace(tzinfo=None)}
                for user in ("U07", "U08")
            ],
        )  # fmt: skip
    data = await export_person(harness.store, slack, "U07")
    assert [i["user_id"] for i in data["slack_installations"]] == ["U07"]

    erasure = await erase_person(harness.store, slack, "U07", T0)

    assert erasure.counts["slack_installations"] == 1
    async with harness.store.read() as tx:
        query = select(
            INSTALLATIONS.c.user_id, INSTALLATIONS.c.user_token, INSTALLATIONS.c.bot_token
        ).order_by(INSTALLATIONS.c.id)
        rows = (await tx.session.execute(query)).all()
    assert [tuple(r) for r in rows] == [
        ("", None, "fernet:sealed"),
        ("U08", "xoxp-U08", "fernet:sealed"),
    ]


async def test_erase_blanks_the_messages_naming_her_not_those_that_merely_contain_her_name(
    harness: Harness,
) -> None:
    """Queued now, a delivery records whom it names; queued before that, her id must be a
    whole token and her display name a whole word of the text, with its case."""
    await harness.dispatcher.handle(joined("U-anne"))  # display name "Anne"
    await harness.dispatcher.handle(joined("U-chloe"))
    await harness.dispatcher.handle(command("U-chloe", "kudos U-anne for the demo"))
    await harness.worker.drain()
    post = {"type": "PostToCommunity", "channel": "ch-anne-l", "text": "Weekly digest"}
    old = [
        post,  # her name inside a channel id
        {"type": "SendDirectMessage", "user_id": "U-chloe", "text": "Your annual review"},
        {"type": "SendDirectMessage", "user_id": "U-chloe", "text": "Meet U-anne2 and ANNE"},
        {"type": "SendDirectMessage", "user_id": "U-chloe", "text": "Ask Anne, she knows"},
        {"type": "SendDirectMessage", "user_id": "U-chloe", "text": "Thanks <@U-anne>!"},
    ]
    async with harness.store.transaction() as tx:
        ws = await tx.directory.workspace(WORKSPACE)
        assert ws is not None and ws.id is not None
        queued = await tx.outbox.enqueue(workspace_id=ws.id, action=post, recipient="C", now=T0)
        assert queued.action["names"] == []
        for action in old:  # queued before deliveries recorded whom they name
            tx.session.add(
                Delivery(
                    workspace_id=ws.id,
                    recipient="U-chloe",
                    action=action,
                    next_attempt_at=T0,
                    created_at=T0,
                )
            )
    data = await export_person(harness.store, WORKSPACE, "U-anne")
    named = sorted(str(m["action"].get("text")) for m in data["messages_naming_them"])
    assert len(named) == 4 and all("Anne" in t or "U-anne" in t for t in named), named
    assert "Ask Anne, she knows" in named and "Thanks <@U-anne>!" in named
    assert "🙌 Chloe remercie Anne : « the demo »" in named, "the kudos recorded her"

    await erase_person(harness.store, WORKSPACE, "U-anne", T0)

    after = [(d.status, d.action.get("text")) for d in await harness.deliveries()]
    assert after.count(("pending", "Weekly digest")) == 2, "the channel posts still go out"
    assert ("pending", "Your annual review") in after
    assert ("pending", "Meet U-anne2 and ANNE") in after
    texts = [str(t) for _, t in after]
    assert not [t for t in texts if "Anne" in t or "<@U-anne>" in t], texts
    assert ("skipped", None) in after, "a pending message naming her is not sent"


def test_cli_says_a_lock_or_a_timeout_for_what_it_is(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The database was reached: a lock, a conflict or a timeout is no connection failure."""
    _seeded(database_url)
    ws = ["--workspace", "local:demo", "--user", ALICE, "--yes", "--facilitator", "U-chloe"]
    locked = OperationalError("UPDATE member", {}, Exception("database is locked"))
    for raised, said in (
        (locked, "is busy: another transaction holds a lock or conflicted (database is locked)"),
        (TimeoutError(), "did not finish within 200 s (another process may hold a lock on it)"),
    ):

        async def fails(*_: object, error: BaseException = raised) -> None:
            raise error

        monkeypatch.setattr("bot.cli.privacy.erase_person", fails)
        code, _, err = _cli(database_url, monkeypatch, capsys, "privacy", "erase", *ws)
        assert code == 1 and said in err and err.endswith("nothing was changed; try again"), err
        assert "cannot connect" not in err
    monkeypatch.undo()
    code, out, _ = _cli(database_url, monkeypatch, capsys, "privacy", "erase", *ws)
    assert code == 0 and out.startswith(f"Erased {ALICE} from local:demo.")


async def test_the_retention_purge_reads_only_the_kept_texts_index(harness: Harness) -> None:
    """The purge's rows (finished, text kept) are the partial index ix_delivery_text_kept:
    neither pending rows nor the ever-growing erased ones are walked."""
    if not harness.url.startswith("sqlite"):
        return  # the plan checked is SQLite's; PostgreSQL plans tiny tables with seq scans
    await harness.dispatcher.handle(joined(ALICE))
    await harness.worker.drain()
    with recorded(harness.store.engine) as seen:
        async with harness.store.transaction() as tx:
            gone = await tx.outbox.forget_texts_before(T0 + timedelta(days=1), T0, 100)
    assert gone == 2, "the welcome and the charter question were sent"
    plans: list[str] = []
    async with harness.store.engine.connect() as connection:
        for statement, parameters in seen:
            if statement.lstrip().upper().startswith("SELECT"):
                explained = await connection.exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {statement}", parameters
                )
                plans += [str(row[-1]) for row in explained.all()]
    deliveries = [p for p in plans if "delivery" in p.split()[:2]]
    assert any("ix_delivery_text_kept" in p for p in deliveries), plans
    assert not [p for p in deliveries if "ix_delivery_status_created" in p or "SCAN" in p], plans


async def test_someone_opted_out_and_still_in_the_channel_is_erased_only_when_forced(
    harness: Harness,
) -> None:
    """She is still in the channel: the operator is told, and must insist (her opt-out is kept,
    see tests/test_privacy_opt_out.py)."""
    await harness.dispatcher.handle(joined(ALICE))
    await harness.dispatcher.handle(joined("U-chloe"))
    await harness.dispatcher.handle(command(ALICE, "optout all"))
    with pytest.raises(StillOptedOut):
        await erase_person(harness.store, WORKSPACE, ALICE, T0)
    member = (await export_person(harness.store, WORKSPACE, ALICE))["member"]
    assert member["opted_out_all"] is True, "nothing erased"
    erasure = await erase_person(harness.store, WORKSPACE, "U-chloe", T0)  # not opted out
    assert erasure.counts["member"] == 1
    keys = PersonKeys(lambda: ["test-key"])  # her opt-out is kept under a keyed hash
    erasure = await erase_person(harness.store, WORKSPACE, ALICE, T0, force=True, keys=keys)
    assert erasure.counts["member"] == 1
