"""A member who took part in rituals in the conversation (a challenge's thread, a question
someone answered): every row their erasure removes or changes is in their export — found
there through the one list of where the export holds each table's rows."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import SQLModel

from bot.runtime.simulation import WORKSPACE, Simulation
from storage.privacy_columns import PERSON_COLUMNS
from storage.privacy_sections import EXPORTED
from storage.slack_tables import SLACK_METADATA
from tests.test_challenge import CHALLENGE, a_week
from tests.test_conversation_rituals import ADA, BEA, CY, DAN, MONDAY, RITUALS, post

TABLES = [*SQLModel.metadata.sorted_tables, *SLACK_METADATA.sorted_tables]
Rows = dict[str, dict[tuple[Any, ...], dict[str, Any]]]


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime | date) else value


async def _everything(sim: Simulation) -> Rows:
    found: Rows = {}
    async with sim.store.transaction() as tx:
        for table in TABLES:
            keys = [c.name for c in table.primary_key.columns]
            rows = (await tx.session.execute(select(table))).mappings().all()
            found[table.name] = {
                tuple(row[k] for k in keys): {k: _plain(v) for k, v in row.items()} for row in rows
            }
    return found


def _entries(section: Any) -> list[dict[str, Any]]:
    if section is None:
        return []
    return [section] if isinstance(section, dict) else list(section)


def _exported(export: dict[str, Any], table: str, row: dict[str, Any]) -> bool:
    for section, fields in EXPORTED.get(table, {}).items():
        for entry in _entries(export.get(section)):
            if all(entry.get(field) == row[column] for column, field in fields.items()):
                return True
    return False


async def test_every_row_her_erasure_touches_is_in_her_export(database_url: str) -> None:
    rituals = {**CHALLENGE, "asked": RITUALS["asked"]}
    async with Simulation(rituals, MONDAY, database_url=database_url) as sim:
        for member in (ADA, BEA, CY, DAN):
            await sim.join(member)
        await a_week(sim)  # Bea contributed and reacted; thanked by name in the recap
        await post(sim, ADA, "q1", question=True)
        await post(sim, BEA, "q1-answer", "q1")  # Ada's run remembers who answered
        await sim.run_until(sim.clock() + timedelta(hours=1))
        async with sim.store.transaction() as tx:
            workspace = await tx.directory.workspace(WORKSPACE)
            assert workspace is not None
            export = await tx.privacy.export(workspace, BEA.user_id)
        json.dumps(export)
        before = await _everything(sim)
        async with sim.store.transaction() as tx:
            workspace = await tx.directory.workspace(WORKSPACE)
            assert workspace is not None
            await tx.privacy.erase(workspace, BEA.user_id, sim.clock())
        after = await _everything(sim)

        touched = [
            (table, row)
            for table, rows in before.items()
            for key, row in rows.items()
            if after[table].get(key) != row
        ]
        kinds = {table for table, _ in touched}
        assert {"member", "run", "delivery", "activityrecord", "ritualseason"} <= kinds
        missing = [(table, row) for table, row in touched if not _exported(export, table, row)]
        assert missing == [], "erased but not exported"
        # of others' runs, only what names her: her row of the tally, her as who answered
        assert sorted(json.dumps(r["naming_them"]) for r in export["runs_naming_them"]) == [
            json.dumps({"_collected.week": [[BEA.user_id, "Bea", 1, 0]]}),
            json.dumps({"replier": BEA.user_id, "replier_name": "Bea"}),
        ]
        recap = [m for m in export["messages_naming_them"] if "Thank you" in str(m["action"])]
        assert len(recap) == 1, "the recap thanking her by name"


def test_every_table_naming_people_says_where_its_export_holds_it() -> None:
    assert set(EXPORTED) == {t for t, columns in PERSON_COLUMNS.items() if columns}
