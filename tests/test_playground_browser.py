"""The playground page, driven like a person would in a real headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Page, async_playwright, expect

from bot.vocabulary import events as ev
from tests.conftest import LiveServer
from tests.dispatched import record_dispatched

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT = 10_000  # ms, for every auto-waiting assertion
expect.set_options(timeout=TIMEOUT)  # its own default (5 s) otherwise
#: A jump runs a scheduler pass per hour of it (a week: some 170), on a machine maybe busy.
JUMP_TIMEOUT = 90_000


@pytest.fixture
def chromium() -> str:
    """The system Chromium; browser tests are skipped without it, unless CI requires them."""
    if shutil.which(CHROMIUM) is None:
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("ANIMATEUR_REQUIRE_BROWSER"):
            pytest.fail(f"{message}; ANIMATEUR_REQUIRE_BROWSER is set, so browser tests must run")
        pytest.skip(message)
    return CHROMIUM


@pytest_asyncio.fixture
async def page(chromium: str, live_server: LiveServer) -> AsyncIterator[Page]:
    """A fresh browser page on the playground of a live server."""
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, headless=True, args=ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(TIMEOUT)
            await page.goto(f"{live_server.url}/playground")
            await expect(page).to_have_title("Animateur — playground")
            yield page
        finally:
            await browser.close()


async def act_as_and_join(page: Page, member: str) -> None:
    await page.get_by_test_id("member-select").select_option(member)
    await expect(page.get_by_test_id("community").filter(has_text="Data & IA")).to_be_visible()
    await page.get_by_test_id("join").click()


async def test_an_english_member_joins_and_goes_through_the_welcome(
    page: Page, tmp_path: Path
) -> None:
    await act_as_and_join(page, "U-bob")

    dms = page.get_by_test_id("dms")
    await expect(dms.get_by_test_id("dm").first).to_contain_text(
        "Welcome to Data & IA", timeout=TIMEOUT
    )
    accept = dms.get_by_role("button", name="I accept", exact=True)
    await expect(accept).to_be_visible(timeout=TIMEOUT)
    await expect(dms.get_by_role("button", name="I don't accept", exact=True)).to_be_visible()
    await expect(page.get_by_test_id("error")).to_be_hidden()
    await page.screenshot(path=tmp_path / "welcome.png", full_page=True)

    await accept.click()
    question = dms.get_by_test_id("dm").filter(has_text="What do you expect from this community?")
    answer = question.get_by_test_id("answer-input")
    await expect(answer).to_be_visible(timeout=TIMEOUT)
    # The charter question is now answered: its buttons are gone.
    await expect(dms.get_by_test_id("choice")).to_have_count(0)

    await answer.fill("Learn how other teams ship ML models")
    await question.get_by_test_id("answer-submit").click()
    await expect(dms.get_by_test_id("dm").last).to_contain_text(
        "introduce yourself", timeout=TIMEOUT
    )
    await expect(dms.get_by_test_id("answer-input")).to_have_count(0)
    await page.screenshot(path=tmp_path / "done.png", full_page=True)


async def test_a_french_member_is_welcomed_in_french(page: Page) -> None:
    await act_as_and_join(page, "U-alice")

    dms = page.get_by_test_id("dms")
    await expect(dms.get_by_test_id("dm").first).to_contain_text(
        "Bienvenue dans Data & IA", timeout=TIMEOUT
    )
    await expect(dms.get_by_role("button", name="J'accepte", exact=True)).to_be_visible(
        timeout=TIMEOUT
    )


async def test_a_member_stops_a_ritual_from_its_message(page: Page) -> None:
    await act_as_and_join(page, "U-bob")
    dms = page.get_by_test_id("dms")
    welcome = dms.get_by_test_id("dm").first
    await expect(welcome).to_contain_text("Welcome to Data & IA", timeout=TIMEOUT)
    await welcome.get_by_test_id("stop").click()
    await expect(dms.get_by_test_id("dm").last).to_have_text(
        re.compile("you will no longer receive Welcome"), timeout=TIMEOUT
    )
    await expect(page.get_by_test_id("error")).to_be_hidden()


async def test_a_facilitator_changes_the_community_with_the_setup_form(
    page: Page, tmp_path: Path
) -> None:
    await page.get_by_test_id("member-select").select_option("U-dan")
    await expect(page.get_by_test_id("community").filter(has_text="Data & IA")).to_be_visible()
    await page.get_by_test_id("command-input").fill("community setup")
    await page.get_by_test_id("command-submit").click()

    form = page.get_by_test_id("dms").get_by_test_id("form")
    await expect(form.get_by_label("Name", exact=True)).to_have_value("Data & IA", timeout=TIMEOUT)
    await expect(form.get_by_test_id("field-target")).to_have_value("60")
    await form.get_by_label("Why it exists (for members, for the organisation)").fill(
        "Ship ML faster, together"
    )
    await form.get_by_test_id("field-target").fill("75")
    await page.screenshot(path=tmp_path / "setup-form.png", full_page=True)
    await form.get_by_test_id("form-submit").click()
    await expect(page.get_by_test_id("dms").get_by_test_id("dm").last).to_have_text(
        re.compile("Data & IA updated: objective, target."), timeout=TIMEOUT
    )
    await expect(page.get_by_test_id("error")).to_be_hidden()


@pytest.fixture
def dispatched(monkeypatch: pytest.MonkeyPatch) -> list[ev.Event]:
    """What reaches the dispatcher (asked for before ``page``: before the bot is built)."""
    return record_dispatched(monkeypatch)


async def test_members_reply_in_a_thread_and_react_by_clicking(
    dispatched: list[ev.Event], page: Page, tmp_path: Path
) -> None:
    await page.get_by_test_id("member-select").select_option("U-bob")
    await expect(page.get_by_test_id("community").filter(has_text="Data & IA")).to_be_visible()
    await page.get_by_test_id("post-input").fill("Qui a déjà branché dbt sur le lac ?")
    await page.get_by_test_id("post-submit").click()
    feed = page.get_by_test_id("channel-feed")
    question = feed.get_by_test_id("post").filter(has_text="Qui a déjà branché dbt")
    await expect(question).to_be_visible()

    await page.get_by_test_id("member-select").select_option("U-alice")
    await question.get_by_test_id("reply").click()
    await question.get_by_test_id("reply-input").fill("Moi, avec le connecteur Spark")
    await question.get_by_test_id("reply-submit").click()
    replies = question.get_by_test_id("replies")
    await expect(replies.get_by_test_id("reply-post")).to_have_text(
        re.compile("Moi, avec le connecteur Spark")
    )
    await expect(question.get_by_test_id("reply-input")).to_have_count(0)

    await question.get_by_test_id("react").first.click()
    await question.get_by_role("button", name="tada", exact=True).click()
    chip = question.get_by_test_id("reaction").first
    await expect(chip).to_have_text("🎉 1")
    await expect(chip).to_have_attribute("aria-pressed", "true")
    await page.screenshot(path=tmp_path / "thread.png", full_page=True)
    await chip.click()  # a second click takes the reaction back
    await expect(question.get_by_test_id("reaction")).to_have_count(0)
    await expect(page.get_by_test_id("error")).to_be_hidden()

    posted = [e for e in dispatched if isinstance(e, ev.MessagePosted)]
    [first, reply] = posted
    assert (first.member.user_id, first.thread, first.is_question) == ("U-bob", None, True)
    assert (reply.member.user_id, reply.thread, reply.parent_author) == (
        "U-alice",
        first.message_id,
        "U-bob",
    )
    reactions = [e for e in dispatched if isinstance(e, ev.ReactionAdded | ev.ReactionRemoved)]
    assert [(type(r).__name__, r.reaction, r.message_id, r.target_author) for r in reactions] == [
        ("ReactionAdded", "tada", first.message_id, "U-bob"),
        ("ReactionRemoved", "tada", first.message_id, "U-bob"),
    ]


async def test_an_author_edits_then_deletes_their_message(page: Page) -> None:
    await page.get_by_test_id("member-select").select_option("U-bob")
    await expect(page.get_by_test_id("community").filter(has_text="Data & IA")).to_be_visible()
    await page.get_by_test_id("post-input").fill("Rendez-vous jeudi")
    await page.get_by_test_id("post-submit").click()
    post = page.get_by_test_id("channel-feed").get_by_test_id("post").first
    await expect(post).to_contain_text("Rendez-vous jeudi")

    await post.get_by_test_id("edit").click()
    await post.get_by_test_id("edit-input").fill("Rendez-vous vendredi ?")
    await post.get_by_test_id("edit-submit").click()
    await expect(post).to_contain_text("Rendez-vous vendredi ?")
    await expect(post).to_contain_text("edited")

    await page.get_by_test_id("member-select").select_option("U-alice")
    await expect(post.get_by_test_id("edit")).to_have_count(0)  # not hers to change
    await page.get_by_test_id("member-select").select_option("U-bob")
    await post.get_by_test_id("delete").click()
    await expect(post).to_contain_text("This message was deleted.")
    await expect(post).not_to_contain_text("vendredi")


async def test_time_travel_walks_a_newcomer_through_their_first_week(
    page: Page, live_server: LiveServer, tmp_path: Path
) -> None:
    clock = page.get_by_test_id("now")
    await expect(clock).not_to_be_empty()
    await page.get_by_test_id("member-select").select_option("U-bob")
    # From a Monday morning in Bob's timezone: every step of the journey lands on a working day.
    await page.get_by_test_id("travel-monday").click()
    await expect(clock).to_contain_text("09:30", timeout=JUMP_TIMEOUT)
    await expect(clock).to_contain_text("Mon")
    await act_as_and_join(page, "U-bob")
    dms = page.get_by_test_id("dms")
    await dms.get_by_role("button", name="I accept", exact=True).click()
    question = dms.get_by_test_id("dm").filter(has_text="What do you expect from this community?")
    await question.get_by_test_id("answer-input").fill("Meet people who ship models")
    await question.get_by_test_id("answer-submit").click()
    await expect(dms.get_by_test_id("dm").last).to_contain_text("Tomorrow I'll help you")
    introduce = dms.get_by_test_id("dm").filter(has_text="Ready to introduce yourself")
    useful = dms.get_by_test_id("dm").filter(has_text="Three useful things in Data & IA")
    checkback = dms.get_by_test_id("dm").filter(has_text="Did you find what you came for?")
    await expect(introduce).to_have_count(0)

    day = page.get_by_test_id("travel-day")
    for jump in range(1, 8):
        await day.click()
        await expect(day).to_be_enabled(timeout=JUMP_TIMEOUT)  # the jump is done
        if jump in (1, 3, 7):  # the step of that day arrives (through the outbox: waited for)
            step = {1: introduce, 3: useful, 7: checkback}[jump]
            await expect(step).to_have_count(1)
    await expect(clock).to_contain_text("Mon")
    for step in (introduce, useful, checkback):
        await expect(step).to_have_count(1)

    # Each arrived on its day, not before: by the playground's time it was sent at.
    dms = await live_server.messages(user="U-bob")

    def sent(start: str) -> datetime:
        [found] = [m for m in dms if m["text"].startswith(start)]
        return datetime.fromisoformat(found["created_at"])

    joined = sent("Welcome to *Data & IA*")
    for start, days in (
        ("Ready to introduce yourself", 1),
        ("Three useful things", 3),
        ("You joined *Data & IA* a week ago", 7),
    ):
        assert timedelta(days=days) <= sent(start) - joined < timedelta(days=days + 1), start
    await expect(checkback.get_by_role("button", name="5", exact=True)).to_be_visible()
    await page.screenshot(path=tmp_path / "week.png", full_page=True)
    await expect(page.get_by_test_id("error")).to_be_hidden()


async def test_messages_render_like_chat_and_hostile_markup_stays_text(
    page: Page, tmp_path: Path
) -> None:
    await page.get_by_test_id("member-select").select_option("U-bob")
    await expect(page.get_by_test_id("community").filter(has_text="Data & IA")).to_be_visible()
    hostile = (
        "Hi <@U-alice>, see *the guide* and _this note_ at <https://example.org/doc|our doc> "
        '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script> '
        "[trap](javascript:window.pwned=3) thanks @U-dan"
    )
    await page.get_by_test_id("post-input").fill(hostile)
    await page.get_by_test_id("post-submit").click()
    post = page.get_by_test_id("channel-feed").get_by_test_id("post").first
    text = post.locator("p.text")
    await expect(text).to_contain_text("Hi @Alice Martin, see the guide and this note at our doc")
    await expect(text.locator("strong")).to_have_text("the guide")
    await expect(text.locator("em")).to_have_text("this note")
    doc = text.get_by_role("link", name="our doc")
    await expect(doc).to_have_attribute("href", "https://example.org/doc")
    await expect(text.get_by_test_id("mention")).to_have_text(["@Alice Martin", "@Dan Okafor"])
    await expect(text).not_to_contain_text("U-alice")
    await expect(text).not_to_contain_text("*")
    # The hostile parts are shown as the text they are, never run nor made into elements.
    await expect(text).to_contain_text('<img src=x onerror="window.pwned=1">')
    await expect(text).to_contain_text("<script>window.pwned=2</script>")
    await expect(text).to_contain_text("[trap](javascript:window.pwned=3)")
    await expect(text.locator("img, script")).to_have_count(0)
    await expect(text.locator("a")).to_have_count(1)
    assert await page.evaluate("window.pwned") is None
    await page.screenshot(path=tmp_path / "rendering.png", full_page=True)

    # The bot's own markup too: the welcome's community name in bold, no asterisks.
    await page.get_by_test_id("join").click()
    welcome = page.get_by_test_id("dms").get_by_test_id("dm").first
    await expect(welcome.locator("p.text strong").first).to_have_text("Data & IA")
    await expect(welcome.locator("p.text")).not_to_contain_text("*Data")


async def test_the_message_panel_scrolls_to_the_newest(page: Page) -> None:
    await page.get_by_test_id("member-select").select_option("U-bob")
    await expect(page.get_by_test_id("community").filter(has_text="Data & IA")).to_be_visible()
    feed = page.get_by_test_id("channel-feed")
    panel = page.locator("section.panel", has=feed)
    for n in range(1, 16):
        await page.get_by_test_id("post-input").fill(f"Message number {n}\nwith\nseveral\nlines")
        await page.get_by_test_id("post-submit").click()
        await expect(feed.get_by_test_id("post")).to_have_count(n)
    newest = feed.get_by_test_id("post").last
    await expect(newest).to_contain_text("Message number 15")
    await expect(newest).to_be_in_viewport()
    await expect(feed.get_by_test_id("post").first).not_to_be_in_viewport()
    scrolled = await panel.evaluate("p => p.scrollHeight - p.clientHeight - p.scrollTop")
    overflow = await panel.evaluate("p => p.scrollHeight - p.clientHeight")
    assert overflow > 0 and scrolled < 2  # it overflows, and shows its bottom


async def test_a_facilitator_opens_their_cockpit_from_the_playground(page: Page) -> None:
    await page.get_by_test_id("member-select").select_option("U-bob")
    await expect(page.get_by_test_id("community").filter(has_text="Data & IA")).to_be_visible()
    await expect(page.get_by_test_id("cockpit")).to_be_hidden()  # Bob facilitates nothing

    await page.get_by_test_id("member-select").select_option("U-dan")
    await page.get_by_test_id("cockpit").click()
    link = page.get_by_test_id("cockpit-open")
    await expect(link).to_be_visible()
    async with page.context.expect_page() as opened:
        await link.click()
    dashboard = await opened.value
    await expect(dashboard.get_by_role("heading", name="Data & IA", level=1)).to_be_visible()
    active = dashboard.get_by_role("figure", name="Active members, % per week, against the target")
    await expect(active).to_be_visible()
    # The link was made for Dan by the bot: it is in his DMs, clickable.
    dm = page.get_by_test_id("dms").get_by_test_id("dm").last
    await expect(dm.get_by_test_id("link")).to_have_attribute("href", re.compile("/dashboard/open"))
