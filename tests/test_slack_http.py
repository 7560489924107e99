"""Slack end to end: signed requests to the real HTTP endpoint (Bolt), sends through the real
slack_sdk client to a fake Slack Web API on loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select

from storage.tables import Answer, Delivery
from tests.conftest import wait_for
from tests.fakes.slack_api import Call, FakeSlackApi
from tests.slack_support import (
    CHANNEL,
    TEAM,
    TOKEN,
    SlackBot,
    fixture,
    joined_envelope,
    seeded_slack_bot,
)


@pytest_asyncio.fixture
async def slack_bot(database_url: str) -> AsyncIterator[SlackBot]:
    async with seeded_slack_bot(database_url) as running:
        yield running


def joined(user: str = "U0002", event_id: str = "Ev0000001") -> dict[str, Any]:
    return joined_envelope(user, event_id)


def dms_to(slack: FakeSlackApi, user: str) -> list[Call]:
    return [c for c in slack.calls_to("chat.postMessage") if c.args.get("channel") == user and c.ok]


def click(message: Call, posted: dict[str, Any], value: str, user: str = "U0002") -> dict[str, Any]:
    """A block_actions payload for a click on ``value`` in a message the bot posted."""
    payload = fixture("block_actions")
    actions_block = next(b for b in message.args["blocks"] if b["type"] == "actions")
    button = next(e for e in actions_block["elements"] if e["value"] == value)
    payload["user"]["id"] = user
    payload["container"] |= {"channel_id": posted["channel"], "message_ts": posted["ts"]}
    payload["channel"] = {"id": posted["channel"]}
    payload["message"] = {
        "type": "message",
        "ts": posted["ts"],
        "text": message.args["text"],
        "blocks": message.args["blocks"],
    }
    payload["actions"] = [
        {**button, "block_id": actions_block["block_id"], "action_ts": str(time.time())}
    ]
    payload["trigger_id"] = f"trigger-{value}-{time.time()}"
    return payload


async def test_a_member_joining_gets_the_welcome_in_their_language_with_buttons(
    slack_bot: SlackBot,
) -> None:
    response = await slack_bot.event(joined())
    assert response.status == 200
    welcome, question = await wait_for(
        lambda: _ready(dms_to(slack_bot.slack, "U0002"), 2), within=10
    )
    assert welcome.token == TOKEN
    assert welcome.args["text"].startswith("Bienvenue dans *Data*, grace !")
    buttons = next(b for b in question.args["blocks"] if b["type"] == "actions")
    assert [e["text"]["text"] for e in buttons["elements"]] == ["J'accepte", "Je n'accepte pas"]

    payload = click(question, question.response, "accept")
    assert (await slack_bot.interaction(payload)).status == 200
    [update] = await slack_bot.slack.wait_for_call("chat.update", timeout=10)
    assert update.args["text"].endswith("→ J'accepte")
    assert not any(b["type"] == "actions" for b in update.args["blocks"]), "buttons replaced"
    free_text = (await wait_for(lambda: _ready(dms_to(slack_bot.slack, "U0002"), 3)))[2]
    answer_button = next(b for b in free_text.args["blocks"] if b["type"] == "actions")
    assert answer_button["elements"][0]["text"]["text"] == "Répondre"


async def test_a_free_text_answer_goes_through_a_modal(slack_bot: SlackBot) -> None:
    await slack_bot.event(joined())
    question = (await wait_for(lambda: _ready(dms_to(slack_bot.slack, "U0002"), 2)))[1]
    await slack_bot.interaction(click(question, question.response, "accept"))
    asked = (await wait_for(lambda: _ready(dms_to(slack_bot.slack, "U0002"), 3)))[2]

    answer_button = next(
        e for b in asked.args["blocks"] if b["type"] == "actions" for e in b["elements"]
    )
    open_modal = click(asked, asked.response, answer_button["value"])
    assert (await slack_bot.interaction(open_modal)).status == 200
    [opened] = slack_bot.slack.calls_to("views.open")
    view = opened.args["view"]
    assert opened.args["trigger_id"] == open_modal["trigger_id"]
    assert view["blocks"][0]["label"]["text"] == "Merci ! Qu'attendez-vous de cette communauté ?"

    submission = fixture("view_submission")
    submission["user"]["id"] = "U0002"
    submission["view"] |= {
        "callback_id": view["callback_id"],
        "private_metadata": view["private_metadata"],
    }
    submission["view"]["state"]["values"] = {
        "answer_block": {"answer_input": {"type": "plain_text_input", "value": "Apprendre"}}
    }
    assert (await slack_bot.interaction(submission)).status == 200

    async def stored() -> list[tuple[str, str]]:
        async with slack_bot.bot.store.transaction() as tx:
            rows = (await tx.session.execute(select(Answer))).scalars().all()
        return [(a.key, a.value) for a in rows]

    assert await wait_for(lambda: _has(stored, ("expectations", "Apprendre")))
    await wait_for(lambda: _ready(dms_to(slack_bot.slack, "U0002"), 4))
    assert "vous aiderai à vous présenter" in dms_to(slack_bot.slack, "U0002")[3].args["text"]


async def test_an_empty_modal_answer_is_refused_with_an_error(slack_bot: SlackBot) -> None:
    submission = fixture("view_submission")
    submission["view"]["state"]["values"]["answer_block"]["answer_input"]["value"] = "  "
    reply = await slack_bot.interaction(submission)
    assert reply.status == 200
    assert reply.json()["response_action"] == "errors"
    assert "answer_block" in reply.json()["errors"]


async def test_retries_of_the_same_event_send_one_welcome(slack_bot: SlackBot) -> None:
    statuses = [(await slack_bot.event(joined(), retry=n)).status for n in (None, 1, 2, 3)]
    assert statuses == [200, 200, 200, 200]
    await wait_for(lambda: _ready(dms_to(slack_bot.slack, "U0002"), 2))
    await asyncio.sleep(0.5)
    assert len(dms_to(slack_bot.slack, "U0002")) == 2


async def test_unsigned_forged_or_stale_requests_get_401_and_do_nothing(
    slack_bot: SlackBot,
) -> None:
    assert (await slack_bot.event(joined(), signed=False)).status == 401
    assert (await slack_bot.event(joined(), secret="not-the-secret")).status == 401
    assert (await slack_bot.event(joined(), age=6 * 60)).status == 401
    for odd in ("²", "-5", "1e9", ""):  # "²" is a digit to str.isdigit(), not to int()
        assert (await slack_bot.event(joined(), timestamp=odd)).status == 401, odd
    await asyncio.sleep(0.5)
    # the community's roster is read once it is known, whatever arrives: not an answer to these
    answered = [c for c in slack_bot.slack.calls if c.method != "conversations.members"]
    assert answered == []
    async with slack_bot.bot.store.transaction() as tx:
        assert (await tx.session.execute(select(Delivery))).first() is None


@pytest.mark.alone
async def test_help_is_answered_privately_within_the_ack_window(slack_bot: SlackBot) -> None:
    command = fixture("command_help") | {"response_url": slack_bot.slack.response_url()}
    started = time.monotonic()
    response = await slack_bot.form(command)
    assert response.status == 200
    [answer] = await wait_for(lambda: _some(slack_bot.slack.responses), within=3.0)
    assert time.monotonic() - started < 3.0
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith("What you can do:\n• help — this list")
    assert slack_bot.slack.calls_to("chat.postEphemeral") == [], "works in DMs too"


async def test_a_response_url_elsewhere_than_slack_is_never_called(slack_bot: SlackBot) -> None:
    command = fixture("command_help") | {"response_url": "https://attacker.example/hook"}
    assert (await slack_bot.form(command)).status == 200
    [ephemeral] = await slack_bot.slack.wait_for_call("chat.postEphemeral", timeout=5.0)
    assert (ephemeral.args["user"], ephemeral.args["channel"]) == ("U0001", CHANNEL)


async def _some(found: list[dict[str, object]]) -> list[dict[str, object]] | None:
    return found or None


async def test_an_unknown_subcommand_gets_a_helpful_private_error(slack_bot: SlackBot) -> None:
    url = slack_bot.slack.response_url()
    command = fixture("command_help") | {"text": "nonsense now", "response_url": url}
    assert (await slack_bot.form(command)).status == 200
    command = fixture("command_help") | {"text": "optout", "trigger_id": "t-3", "response_url": url}
    assert (await slack_bot.form(command)).status == 200
    answers = await wait_for(lambda: _at_least(slack_bot.slack.responses, 2))
    assert [a["text"] for a in answers] == [
        "Unknown command “nonsense”. Available commands: help.",
        "Usage: /animateur optout &lt;ritual|all&gt;",  # shown as typed: <ritual|all>
    ]


async def _at_least(found: list[dict[str, object]], n: int) -> list[dict[str, object]] | None:
    return found if len(found) >= n else None


async def test_a_rate_limited_send_is_delivered_once_after_retry_after(
    slack_bot: SlackBot,
) -> None:
    slack_bot.slack.rate_limit_next("chat.postMessage", retry_after=1)
    await slack_bot.event(joined())
    first = await slack_bot.slack.wait_for_call("chat.postMessage")
    assert first[0].status == 429
    delivered = await wait_for(lambda: _ready(dms_to(slack_bot.slack, "U0002"), 2), within=10)
    texts = [c.args["text"] for c in delivered]
    assert len(texts) == len(set(texts)) == 2, "each message delivered exactly once"
    retried = [c for c in slack_bot.slack.calls_to("chat.postMessage") if c.status == 200]
    assert retried[0].response["ts"], "sent after the pause"


async def test_a_channel_that_is_gone_fails_once_without_retries(slack_bot: SlackBot) -> None:
    slack_bot.slack.fail_next("chat.postMessage", error="user_not_found", count=1)
    await slack_bot.event(joined())
    await wait_for(lambda: _ready(dms_to(slack_bot.slack, "U0002"), 1))

    async def statuses() -> list[str]:
        async with slack_bot.bot.store.transaction() as tx:
            return [d.status for d in reversed(await tx.outbox.list())]

    assert await wait_for(lambda: _equals(statuses, ["failed", "sent"]))


async def test_a_token_revoked_while_running_marks_the_workspace(slack_bot: SlackBot) -> None:
    no_url = fixture("command_help") | {"response_url": ""}  # answered with chat.postEphemeral
    await slack_bot.form(no_url)
    await slack_bot.slack.wait_for_call("chat.postEphemeral")
    slack_bot.slack.revoke(TOKEN)
    await slack_bot.form(no_url | {"trigger_id": "t-again"})

    async def revoked() -> bool:
        async with slack_bot.bot.store.transaction() as tx:
            workspace = await tx.directory.workspace_by_id(1)
        return workspace is not None and workspace.status == "revoked"

    assert await wait_for(revoked)


async def test_opening_the_app_home_publishes_the_members_view(slack_bot: SlackBot) -> None:
    await slack_bot.event(joined())
    await wait_for(lambda: _ready(dms_to(slack_bot.slack, "U0002"), 2))
    home = fixture("event_app_home_opened")
    home["event"]["user"] = "U0002"
    await slack_bot.event(home)
    [published] = await slack_bot.slack.wait_for_call("views.publish")
    assert published.args["user_id"] == "U0002"
    texts = [
        b.get("text", {}).get("text", "") for b in published.args["view"]["blocks"] if "text" in b
    ]
    assert "Data" in texts
    assert "• Accueil : activé" in "\n".join(texts).splitlines()
    toggle = next(b for b in published.args["view"]["blocks"] if b["type"] == "actions")
    assert toggle["elements"][0]["value"] == "optout:welcome"


async def _ready(calls: list[Call], count: int) -> list[Call] | None:
    return calls if len(calls) >= count else None


async def _has(probe: Any, item: Any) -> bool:
    return item in await probe()


async def _equals(probe: Any, expected: Any) -> bool:
    return bool(await probe() == expected)


async def test_community_setup_opens_a_prefilled_modal_whose_submission_is_stored(
    slack_bot: SlackBot,
) -> None:
    slack_bot.slack.add_user(TEAM, "U0009", "dan", locale="en-GB", tz="Europe/London")
    url = slack_bot.slack.response_url()
    setup = fixture("command_help") | {
        "user_id": "U0009",
        "text": "community setup",
        "response_url": url,
    }
    assert (await slack_bot.form(setup)).status == 200
    [offer] = await wait_for(lambda: _some(slack_bot.slack.responses))
    assert offer["response_type"] == "ephemeral"
    actions = next(b for b in offer["blocks"] if b["type"] == "actions")
    [button] = actions["elements"]
    assert button["text"]["text"] == "Open the form"

    opening = fixture("block_actions")
    del opening["message"]  # Slack sends none for a click in an ephemeral message
    opening["user"]["id"] = "U0009"
    opening["container"] |= {"channel_id": CHANNEL, "is_ephemeral": True}
    opening["actions"] = [{**button, "block_id": actions["block_id"], "type": "button"}]
    opening["trigger_id"] = f"trigger-setup-{time.time()}"
    assert (await slack_bot.interaction(opening)).status == 200
    [opened] = slack_bot.slack.calls_to("views.open")
    assert opened.args["trigger_id"] == opening["trigger_id"]
    view = opened.args["view"]
    shown = {b["label"]["text"]: b["element"].get("initial_value") for b in view["blocks"]}
    assert (shown["Name"], shown["Target engagement (%)"], shown["Facilitators"]) == (
        "Data",
        "60",
        "U0009",
    )

    submission = fixture("view_submission")
    submission["user"]["id"] = "U0009"
    submission["view"] |= {
        "id": "V-setup",
        "callback_id": view["callback_id"],
        "private_metadata": view["private_metadata"],
    }
    typed = {"objective_block": "Ship ML faster", "target_block": "75"}
    submission["view"]["state"]["values"] = {
        b["block_id"]: {
            b["element"]["action_id"]: {
                "type": "plain_text_input",
                "value": typed.get(b["block_id"], b["element"].get("initial_value")),
            }
        }
        for b in view["blocks"]
    }
    reply = await slack_bot.interaction(submission)
    assert (reply.status, reply.body) == (200, ""), "the modal closes"
    [answer] = await wait_for(lambda: _ready(dms_to(slack_bot.slack, "U0009"), 1))
    assert answer.args["text"] == "Data updated: objective, target."
    async with slack_bot.bot.store.transaction() as tx:
        [community] = await tx.directory.communities()
    assert (community.objective, community.target_engagement) == ("Ship ML faster", 75)


async def test_a_workspace_admin_may_change_a_community_a_member_may_not(
    slack_bot: SlackBot,
) -> None:
    admin = slack_bot.slack.add_user(TEAM, "U0042", "ines", locale="fr-FR")
    admin["is_admin"] = True  # as users.info reports a workspace administrator
    slack_bot.slack.add_user(TEAM, "U0043", "paul")
    url = slack_bot.slack.response_url()
    for user, key in (("U0043", "t-member"), ("U0042", "t-admin")):
        setup = fixture("command_help") | {
            "user_id": user,
            "text": "community setup target=80",
            "trigger_id": key,
            "response_url": url,
        }
        assert (await slack_bot.form(setup)).status == 200
        await wait_for(lambda: _some(slack_bot.slack.responses))
    member, admin_reply = await wait_for(lambda: _at_least(slack_bot.slack.responses, 2))
    assert str(member["text"]).startswith("Only the facilitators of Data")
    assert admin_reply["text"] == "Data mise à jour : target."
    async with slack_bot.bot.store.transaction() as tx:
        [community] = await tx.directory.communities()
    assert community.target_engagement == 80


async def test_escaped_mentions_and_entities_in_a_command_are_read_as_typed(
    slack_bot: SlackBot,
) -> None:
    """With ``should_escape`` Slack sends ``@zoe`` as ``<@U…|zoe>``, ``#data`` as
    ``<#C…|data>``, a link as ``<https://…>`` and ``&``, ``<``, ``>`` as entities."""
    slack_bot.slack.add_user(TEAM, "U0009", "dan", locale="en-GB", tz="Europe/London")
    slack_bot.slack.add_user(TEAM, "U0042", "zoe", locale="fr-FR")
    slack_bot.slack.add_user(TEAM, "U0043", "zoe.martin", locale="fr-FR")
    url = slack_bot.slack.response_url()
    typed = [
        "facilitator add <@U0042|zoe>",
        "facilitator add <@U0043|Zoé Martin>",  # a name with a space is still one person
        'community setup name="R&amp;D &lt;3" resources="<https://wiki.example.com/start>"',
    ]
    for number, text in enumerate(typed):
        command = fixture("command_help") | {
            "user_id": "U0009",
            "text": text,
            "trigger_id": f"t-escaped-{number}",
            "response_url": url,
        }
        assert (await slack_bot.form(command)).status == 200
        await wait_for(lambda n=number: _at_least(slack_bot.slack.responses, n + 1))
    added, added_again, updated = slack_bot.slack.responses
    assert "U0042" in str(added["text"]) and "U0043" in str(added_again["text"])
    assert str(updated["text"]).startswith("R&amp;D &lt;3 updated"), "shown as typed: R&D <3"
    async with slack_bot.bot.store.transaction() as tx:
        [community] = await tx.directory.communities()
    assert community.facilitators == ["U0009", "U0042", "U0043"]
    assert community.name == "R&D <3"
    assert "https://wiki.example.com/start" in str(community.resources)


async def test_a_kudos_reason_cannot_notify_the_whole_channel(slack_bot: SlackBot) -> None:
    """``<!channel>`` typed in a reason arrives as entities, is read as typed and is sent
    escaped: in the blocks and in the notification's fallback ``text`` alike."""
    slack_bot.slack.add_user(TEAM, "U0009", "dan", locale="en-GB")
    slack_bot.slack.add_user(TEAM, "U0042", "zoe", locale="en-GB")
    command = fixture("command_help") | {
        "user_id": "U0009",
        "text": "kudos <@U0042|zoe> for &lt;!channel&gt; & the demo",
        "trigger_id": "t-kudos",
        "response_url": slack_bot.slack.response_url(),
    }
    assert (await slack_bot.form(command)).status == 200
    posts = await slack_bot.slack.wait_for_call("chat.postMessage", 2)
    [public] = [p for p in posts if p.args["channel"] == command["channel_id"]]
    said = [str(public.args["text"]), *(b["text"]["text"] for b in public.args["blocks"])]
    assert all("&lt;!channel&gt; &amp; the demo" in s for s in said), said
    assert not [s for s in said if "<!channel>" in s]


async def test_slackbot_is_nobody_to_make_facilitator(slack_bot: SlackBot) -> None:
    """Slackbot's profile says it is no bot (``is_bot`` false): it is still no member."""
    slack_bot.slack.add_user(TEAM, "U0009", "dan", locale="en-GB")
    slack_bot.slack.add_user(TEAM, "U0042", "zoe", locale="en-GB")
    slack_bot.slack.add_user(TEAM, "USLACKBOT", "slackbot")
    url = slack_bot.slack.response_url()
    for number, who in enumerate(("<@USLACKBOT|slackbot>", "<@U0042|zoe>")):
        command = fixture("command_help") | {
            "user_id": "U0009",
            "text": f"facilitator add {who}",
            "trigger_id": f"t-slackbot-{number}",
            "response_url": url,
        }
        assert (await slack_bot.form(command)).status == 200
        await wait_for(lambda n=number: _at_least(slack_bot.slack.responses, n + 1))
    refused, added = slack_bot.slack.responses
    assert "not a member" in str(refused["text"]) and "U0042" in str(added["text"])
    async with slack_bot.bot.store.transaction() as tx:
        [community] = await tx.directory.communities()
    assert community.facilitators == ["U0009", "U0042"]
