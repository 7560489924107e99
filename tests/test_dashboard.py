"""The facilitator's dashboard over HTTP (aiohttp): the command that gives the link, the link
that opens a session cookie, the community page's charts and tables, withheld figures, the CSV
download, and every refusal — on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
import pytest_asyncio
from aiohttp import ClientSession, CookieJar
from aiohttp.test_utils import TestClient, TestServer

from adapters.local.links import LocalMessageLinks
from bot.app import BOT, build, dashboard_links
from bot.cli import main
from bot.runtime.clock import ManualClock
from bot.runtime.dashboard.links import Denied
from bot.runtime.message_links import MessageLinkBook
from bot.runtime.pulse_render import as_csv
from bot.runtime.pulse_report import community_report
from bot.settings import Settings
from bot.vocabulary import events as ev
from tests.builders import WORKSPACE
from tests.conftest import Harness, LiveServer, serving
from tests.dashboard_support import (
    KEY,
    OTHER,
    OTHER_CHANNEL,
    asking,
    dashboard_app,
    grant,
    links,
    other_workspace,
    path_of,
)
from tests.pulse_support import REPORT_AT, answered_week, at, build_history, happen, joined


@pytest_asyncio.fixture
async def client(harness: Harness) -> AsyncIterator[TestClient[object, object]]:
    harness.clock.now = REPORT_AT
    app = dashboard_app(harness.store, harness.clock, links(harness.clock))
    async with TestClient(TestServer(app)) as test_client:
        yield test_client  # type: ignore[misc]


async def sign_in(
    client: TestClient[object, object], clock: ManualClock, user: str = "U-dan"
) -> None:
    response = await client.get(path_of(links(clock).link(grant(user))), allow_redirects=False)
    assert response.status == 303, await response.text()


async def command(harness: Harness, user: str, channel: str = "C-data", locale: str = "en") -> str:
    harness.clock.now = REPORT_AT
    said = ev.CommandInvoked(
        workspace=WORKSPACE,
        key=f"dash-{user}-{channel}-{locale}",
        occurred_at=REPORT_AT,
        channel=channel,
        member=ev.MemberProfile(user, locale=locale),
        name="dashboard",
    )
    assert await harness.dispatcher.handle(said) == "processed"
    replies = [
        d.action
        for d in await harness.deliveries()
        if d.action["type"] == "RespondPrivately" and d.recipient == user
    ]
    return str(replies[-1]["text"])


async def test_a_facilitator_gets_a_private_link_that_opens_the_community_page(
    harness: Harness, client: TestClient[object, object]
) -> None:
    harness.dispatcher.dashboard = links(harness.clock)
    said = await command(harness, "U-dan")
    assert said.startswith(
        "Your dashboard (Data & IA): http://127.0.0.1:3000/dashboard/open?token="
    )
    assert "15 minutes" in said
    link = re.search(r"http://\S+", said)
    assert link is not None

    opened = await client.get(path_of(link.group()), allow_redirects=False)
    assert opened.status == 303
    assert opened.headers["Location"] == "/dashboard/c/C-data"
    page = await client.get("/dashboard/c/C-data")
    assert page.status == 200
    assert '<h1 data-testid="community-name">Data &amp; IA</h1>' in await page.text()

    french = await command(harness, "U-dan", locale="fr-FR")
    assert french.startswith("Votre tableau de bord (Data & IA) : http://127.0.0.1:3000/")


async def test_a_member_who_facilitates_nothing_gets_no_link(harness: Harness) -> None:
    harness.dispatcher.dashboard = links(harness.clock)
    said = await command(harness, "U-alice")
    assert said.startswith("The dashboard is for the facilitators of a community")
    assert "http" not in said
    assert (await command(harness, "U-alice", locale="fr")).startswith(
        "Le tableau de bord est réservé aux animateurs"
    )
    # Dan, who facilitates, asking from a channel that is no community, still gets his link
    assert "dashboard/open?token=" in await command(harness, "U-dan", channel="D-dan")


async def test_the_session_cookie_is_httponly_samesite_and_secure_behind_https(
    harness: Harness, client: TestClient[object, object]
) -> None:
    opened = await client.get(path_of(links(harness.clock).link(grant())), allow_redirects=False)
    cookie = opened.headers["Set-Cookie"]
    assert cookie.startswith("animateur_dashboard=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/dashboard" in cookie
    assert "Secure" not in cookie  # the public URL is http: a Secure cookie would never return

    secure = links(harness.clock, public_url="https://bot.example.com")
    app = dashboard_app(harness.store, harness.clock, secure)
    async with TestClient(TestServer(app)) as https_client:
        link = secure.link(grant()).removeprefix("https://bot.example.com")
        opened = await https_client.get(link, allow_redirects=False)
        assert opened.status == 303
        assert "Secure" in opened.headers["Set-Cookie"]
        assert "HttpOnly" in opened.headers["Set-Cookie"]


async def test_the_community_page_has_every_chart_with_its_table_and_no_outside_resource(
    harness: Harness, client: TestClient[object, object]
) -> None:
    await build_history(harness)
    await answered_week(harness)  # a week of 5 questions: its answer rate and time show
    harness.clock.now = REPORT_AT
    await sign_in(client, harness.clock)

    page = await client.get("/dashboard/c/C-data")
    body = await page.text()
    assert page.status == 200
    assert "script-src" not in page.headers["Content-Security-Policy"]  # default-src 'none'
    for chart in ("active", "participation", "answered", "answer-time", "newcomers", "rituals"):
        assert f'data-testid="chart-{chart}"' in body
        assert f'data-testid="table-{chart}"' in body
    assert body.count("<svg") == 6
    assert "<script" not in body
    # only XML namespaces and pygal's comments name a URL: nothing is loaded from anywhere
    urls = set(re.findall(r"""(?:src|href)=["'](https?://[^"']+)""", body))
    assert urls == {"http://127.0.0.1:3000/playground"}  # the unanswered question's link only
    assert "Active members, % per week, against the target" in body
    assert "<td>81.8</td>" in body  # W48's active share, as in `animateur report`
    # the weeks before anyone joined are withheld, with the reason
    assert "2026-W39 (2026-09-21)</th><td>— (fewer than 5 people)</td>" in body
    # the warnings with what to do, the unanswered question with its link
    # the questions named by their day and linked, in the warning and in their list
    link = '<a href="http://127.0.0.1:3000/playground" rel="noreferrer">'
    warned = f"1 question(s) unanswered for more than 48 h ({link}question of 2026-11-20</a>)."
    assert warned in body
    assert "Answer them, or ask someone who knows to." in body
    assert f"<li>{link}asked 2026-11-20 08:00 UTC</a></li>" in body
    assert "p3" not in body  # no platform id shown for a question
    assert "50.0 % (3 of 6)" in body  # the welcome's response rate
    # the participation split at each week's end, over its 28 days (W44: only Bob's p0 of
    # 10-20 among 7 members; W48: as the 28-day figures at t)
    split = body[body.index('data-testid="table-participation"') :]
    assert "2026-W39 (2026-09-21)</th>" + "<td>— (fewer than 5 people)</td>" * 3 in split
    assert "2026-W44 (2026-10-26)</th><td>6</td><td>1</td><td>0</td>" in split
    assert "2026-W48 (2026-11-23)</th><td>3</td><td>6</td><td>2</td>" in split


async def test_a_small_community_shows_why_its_figures_are_withheld(
    harness: Harness, client: TestClient[object, object]
) -> None:
    for user in ("alice", "bob", "dan"):
        await happen(harness, joined(user, at(11, 24)))
    harness.clock.now = REPORT_AT
    await sign_in(client, harness.clock)

    body = await (await client.get("/dashboard/c/C-data", headers={"Accept-Language": "fr"})).text()
    # Dan's language is English (en-GB): his, not the browser's
    assert "Participation: members by posts and replies" in body
    assert body.count("fewer than 5 people") >= 3
    assert "<td>0</td>" not in body  # withheld is never a zero
    french = await (await client.get("/dashboard/c/C-data?lang=fr")).text()
    assert "moins de 5 personnes" in french
    assert '<html lang="fr">' in french


async def test_the_csv_download_is_the_reports_csv(
    harness: Harness,
    client: TestClient[object, object],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await build_history(harness)
    harness.clock.now = REPORT_AT
    await sign_in(client, harness.clock)

    response = await client.get("/dashboard/c/C-data/figures.csv")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="C-data-20261130T1200.csv"'
    )
    got = await response.text()
    rows = {r["figure"]: (r["value"], r["withheld"]) for r in csv.DictReader(io.StringIO(got))}
    assert rows["members"] == ("11", "")
    assert rows["weeks.2026-W39.active_pct"] == ("", "fewer than 5")
    assert rows["rituals.welcome.response_rate_pct"] == ("50.0", "")
    assert not any(name.startswith(("U-", "sponsors.", "members.")) for name in rows)

    report = await community_report(
        harness.store, WORKSPACE, "C-data", REPORT_AT, weeks=12, links=True, rituals=asking()
    )
    playground = LocalMessageLinks("http://127.0.0.1:3000")
    await MessageLinkBook({"local": playground}).add_urls(WORKSPACE, report.indicators.figures)
    assert got == as_csv(report)
    assert "questions_28d.unanswered_links.0.url,http://127.0.0.1:3000/playground," in got
    # and `animateur report --format csv` says the same
    monkeypatch.setenv("ANIMATEUR_DATABASE_URL", harness.url)
    args = ["report", "--workspace", "local:demo", "--community", "C-data"]
    args += ["--at", "2026-11-30T12:00:00Z", "--format", "csv"]
    assert await asyncio.to_thread(main, args) == 0
    assert capsys.readouterr().out == got


async def test_a_community_name_that_looks_like_a_formula_stays_text_in_the_csv(
    harness: Harness,
) -> None:
    """A spreadsheet opening the CSV must not run a name such as ``=HYPERLINK(…)``: cells
    starting with = + - @ (or a tab, a carriage return) are prefixed with '; numbers are not."""
    await build_history(harness)
    for name in ('=HYPERLINK("https://evil.example","x")', "@SUM(A1)", "\tplus", "Data & IA"):
        async with harness.store.transaction() as tx:
            community = await tx.directory.community_by_channel(1, "C-data")
            assert community is not None
            community.name = name
        report = await community_report(
            harness.store, WORKSPACE, "C-data", REPORT_AT, weeks=4, links=True, rituals=asking()
        )
        rows = {r["figure"]: r["value"] for r in csv.DictReader(io.StringIO(as_csv(report)))}
        assert rows["name"] == (name if name == "Data & IA" else f"'{name}")
        assert rows["gap_points"] == "-30.9"  # 30.9 points above the target: a number


async def test_expired_forged_and_missing_links_and_sessions_get_403(
    harness: Harness, client: TestClient[object, object]
) -> None:
    old = links(ManualClock(REPORT_AT - timedelta(minutes=16))).link(grant())
    expired = await client.get(path_of(old))
    assert expired.status == 403
    assert "This link has expired" in await expired.text()
    fresh = links(ManualClock(REPORT_AT - timedelta(minutes=14))).link(grant())
    assert (await client.get(path_of(fresh), allow_redirects=False)).status == 303

    forged = links(harness.clock, key="someone-elses-key").link(grant())
    assert (await client.get(path_of(forged))).status == 403
    tampered = path_of(links(harness.clock).link(grant())).replace("token=", "token=x")
    assert (await client.get(tampered)).status == 403
    assert (await client.get("/dashboard/open")).status == 403

    client.session.cookie_jar.clear()
    nobody = await client.get("/dashboard/c/C-data")
    assert nobody.status == 403
    assert "/animateur dashboard" in await nobody.text()
    client.session.cookie_jar.update_cookies({"animateur_dashboard": "forged"})
    assert (await client.get("/dashboard/c/C-data")).status == 403

    # a session cookie lasts 8 hours, then asks for a new link
    await sign_in(client, harness.clock)
    assert (await client.get("/dashboard/c/C-data")).status == 200
    harness.clock.now = REPORT_AT + timedelta(hours=8, minutes=1)
    late = await client.get("/dashboard/c/C-data?lang=fr")
    assert late.status == 403
    assert "Ce lien a expiré" in await late.text()


async def test_one_workspaces_facilitator_never_sees_another_workspace(
    harness: Harness, client: TestClient[object, object]
) -> None:
    await other_workspace(harness.store, REPORT_AT)
    await sign_in(client, harness.clock, "U-dan")
    assert (await client.get("/dashboard/c/C-data")).status == 200
    assert (await client.get(f"/dashboard/c/{OTHER_CHANNEL}")).status == 403
    assert (await client.get(f"/dashboard/c/{OTHER_CHANNEL}/figures.csv")).status == 403
    index = await (await client.get("/dashboard")).text()
    assert "Data &amp; IA" in index and "Other place" not in index

    # Zoe, B's facilitator, with a link of B: B's community only
    zoe = links(harness.clock).link(grant("U-zoe", OTHER))
    assert (await client.get(path_of(zoe), allow_redirects=False)).status == 303
    assert (await client.get("/dashboard/c/C-data")).status == 403
    assert (await client.get(f"/dashboard/c/{OTHER_CHANNEL}")).status == 200
    # a link naming Zoe in workspace A opens nothing: she facilitates nothing there
    assert (await client.get(path_of(links(harness.clock).link(grant("U-zoe"))))).status == 403


async def test_a_facilitator_removed_since_the_link_loses_access_at_once(
    harness: Harness, client: TestClient[object, object]
) -> None:
    await sign_in(client, harness.clock, "U-dan")
    assert (await client.get("/dashboard")).status == 200
    async with harness.store.transaction() as tx:
        workspace = await tx.directory.workspace(WORKSPACE)
        assert workspace is not None and workspace.id is not None
        community = await tx.directory.community_by_channel(workspace.id, "C-data")
        assert community is not None
        community.facilitators = ["U-chloe"]
    assert (await client.get("/dashboard")).status == 403
    assert (await client.get("/dashboard/c/C-data")).status == 403


def test_without_a_secret_key_one_is_made_once_and_kept_so_links_survive_restarts(
    tmp_path: Path,
) -> None:
    settings = Settings(dashboard_key_file=str(tmp_path / "dash.key"), _env_file=None)
    clock = ManualClock(REPORT_AT)
    before = dashboard_links(settings, clock)
    assert not (tmp_path / "dash.key").exists()  # made at first use only
    made = before.link(grant())
    key_file = tmp_path / "dash.key"
    assert key_file.stat().st_mode & 0o777 == 0o600

    after_restart = dashboard_links(settings, clock)
    token = made.partition("token=")[2]
    assert after_restart.open_link(unquote(token)) == grant()
    # another machine's key (another file) opens nothing
    elsewhere = dashboard_links(
        Settings(dashboard_key_file=str(tmp_path / "other.key"), _env_file=None), clock
    )
    with pytest.raises(Denied) as refused:
        elsewhere.open_link(unquote(token))
    assert refused.value.reason == "invalid"


def test_the_secret_keys_first_signs_and_any_verifies_while_rotating() -> None:
    clock = ManualClock(REPORT_AT)
    old = dashboard_links(Settings(secret_key="old-key", _env_file=None), clock)
    rotating = dashboard_links(Settings(secret_key="new-key,old-key", _env_file=None), clock)
    new = dashboard_links(Settings(secret_key="new-key", _env_file=None), clock)
    made_before = unquote(old.link(grant()).partition("token=")[2])
    assert rotating.open_link(made_before) == grant()
    made_now = unquote(rotating.link(grant()).partition("token=")[2])
    assert new.open_link(made_now) == grant()
    with pytest.raises(Denied):
        new.open_link(made_before)


async def test_in_the_playground_the_command_links_to_the_dashboard(database_url: str) -> None:
    """The bot as `animateur serve` wires it: the command's link opens the page it serves."""
    settings = Settings(
        database_url=database_url,
        playground=True,
        demo=True,
        tick_seconds=0.2,
        secret_key=KEY,
        _env_file=None,
    )
    jar = CookieJar(unsafe=True)  # keep cookies for 127.0.0.1
    async with serving(build(settings)) as (url, app), ClientSession(cookie_jar=jar) as http:
        server = LiveServer(url, app[BOT], http)
        path = await server.dashboard_link("U-dan", "C-data")
        async with http.get(f"{url}{path}") as page:
            assert page.status == 200
            assert page.url.path == "/dashboard/c/C-data"
            body = await page.text()
        assert "Data &amp; IA" in body and 'data-testid="chart-active"' in body
        async with http.get(f"{url}/dashboard") as index:
            assert index.status == 200
            assert 'href="/dashboard/c/C-data"' in await index.text()
