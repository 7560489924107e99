"""An erased person's opt-out outlives the erasure: kept under a keyed hash of the workspace and
their id (no row names them in clear), so that, joining again, they are not welcomed or asked
by any ritual until they opt back in themselves; someone who had not opted out is welcomed
again as anyone new."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.app import secret_keys
from bot.runtime.clock import ManualClock
from bot.runtime.person_keys import PersonKeys
from bot.runtime.privacy import OptOutNotKept, erase_person
from bot.settings import Settings
from storage.tables import OptOutSuppression
from tests.builders import T0, WORKSPACE, command, joined
from tests.conftest import Harness
from tests.test_privacy import _cli, _naming

KEYS = PersonKeys(lambda: ["privacy-test-key"])
ALICE, CHLOE = "U-alice", "U-chloe"


async def welcomes(harness: Harness, user: str) -> int:
    return len([r for r in await harness.runs() if r.subject == user and r.playbook == "welcome"])


async def test_an_erased_member_who_had_opted_out_is_not_welcomed_when_she_joins_again(
    harness: Harness,
) -> None:
    harness.dispatcher.person_keys = KEYS
    for user in (ALICE, CHLOE):
        await harness.dispatcher.handle(joined(user))
    assert (await welcomes(harness, ALICE), await welcomes(harness, CHLOE)) == (1, 1)
    await harness.dispatcher.handle(command(ALICE, "optout all"))

    await erase_person(harness.store, WORKSPACE, ALICE, T0, force=True, keys=KEYS)
    await erase_person(harness.store, WORKSPACE, CHLOE, T0, keys=KEYS)
    assert await _naming(harness, (ALICE, "Alice Martin")) == []
    async with harness.store.read() as tx:
        [kept] = (await tx.session.execute(select(OptOutSuppression))).scalars().all()
    assert kept.opted_out_all and ALICE not in kept.person_key and len(kept.person_key) == 64

    await harness.dispatcher.handle(joined(ALICE))
    await harness.dispatcher.handle(joined(CHLOE))
    await harness.dispatcher.idle()
    assert await welcomes(harness, CHLOE) == 1, "Chloé, who had not opted out, is welcomed"
    assert await welcomes(harness, ALICE) == 0, "Alice's opt-out was kept: no welcome"
    async with harness.store.read() as tx:
        alice = await tx.directory.member(1, ALICE)
    assert alice is not None and alice.opted_out_all

    # she opts back in herself: rituals are hers again (here, the next one she joins)
    await harness.dispatcher.handle(command(ALICE, "optin all"))
    async with harness.store.read() as tx:
        alice = await tx.directory.member(1, ALICE)
    assert alice is not None and not alice.opted_out_all


async def test_without_a_key_an_opted_out_member_is_not_erased(harness: Harness) -> None:
    await harness.dispatcher.handle(joined(ALICE))
    await harness.dispatcher.handle(command(ALICE, "optout welcome"))
    nokey = PersonKeys(lambda: [])
    with pytest.raises(OptOutNotKept):
        await erase_person(harness.store, WORKSPACE, ALICE, T0, force=True, keys=nokey)
    assert await _naming(harness, (ALICE, "Alice Martin")), "nothing erased"


def test_the_cli_erasure_with_force_keeps_her_opt_out_under_the_secret_key(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``animateur privacy erase --force`` as an operator runs it, ANIMATEUR_SECRET_KEY set:
    the bot (same key) does not welcome her when she joins again, and welcomes Chloé."""
    monkeypatch.setenv("ANIMATEUR_SECRET_KEY", "operator-key")
    keys = PersonKeys(secret_keys(Settings(_env_file=None)))

    async def on_the_bot(*users: str, opt_out: bool = False) -> list[int]:
        harness = Harness.create(database_url, ManualClock(T0))
        harness.dispatcher.person_keys = keys
        try:
            if opt_out:
                await harness.seed(["welcome"])
            for user in users:
                await harness.dispatcher.handle(joined(user))
            if opt_out:
                await harness.dispatcher.handle(command(ALICE, "optout all"))
            return [await welcomes(harness, user) for user in users]
        finally:
            await harness.store.close()

    assert asyncio.run(on_the_bot(ALICE, CHLOE, opt_out=True)) == [1, 1]
    ws = ["--workspace", "local:demo", "--yes", "--force"]
    for user in (ALICE, CHLOE):
        code, out, _ = _cli(
            database_url, monkeypatch, capsys, "privacy", "erase", *ws, "--user", user
        )
        assert code == 0 and out.startswith(f"Erased {user} from local:demo."), out
    assert asyncio.run(on_the_bot(ALICE, CHLOE)) == [0, 1]
