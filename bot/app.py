"""The composition root: the only place that wires storage, engine, runtime and adapters."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry

from adapters.local.channels import LocalChannels
from adapters.local.inbox import LocalInbox
from adapters.local.links import LocalMessageLinks
from adapters.local.routes import LocalPlatform
from adapters.local.sender import LocalSender
from adapters.slack.channels import SlackChannels
from adapters.slack.config import SlackConfig
from adapters.slack.links import SlackMessageLinks
from adapters.slack.platform import SlackPlatform
from adapters.slack.roster import SlackRoster
from adapters.slack.secrets import SecretKeyError, TokenCipher
from adapters.teams.channels import TeamsChannels
from adapters.teams.config import TeamsConfig
from adapters.teams.links import TeamsMessageLinks
from adapters.teams.platform import TeamsPlatform
from bot.runtime.clock import Clock, utc_now
from bot.runtime.dashboard.links import DashboardLinks, load_or_create_key
from bot.runtime.dashboard.routes import Dashboard
from bot.runtime.delivery import DeliveryWorker, RetryPolicy
from bot.runtime.demo import seed_demo
from bot.runtime.dispatcher import Dispatcher
from bot.runtime.governance import Creators, Governance
from bot.runtime.http import health_routes, metrics_routes
from bot.runtime.legal import legal_routes
from bot.runtime.loop_lag import watch_loop_lag
from bot.runtime.membership import RosterSync
from bot.runtime.message_links import MessageLinkBook
from bot.runtime.metrics import Metrics
from bot.runtime.person_keys import PersonKeys
from bot.runtime.pulse_watch import PulseWatch
from bot.runtime.roster import Rosters
from bot.runtime.scheduler import Scheduler
from bot.runtime.time_travel import OffsetClock, TimeTravel
from bot.settings import Settings, SlackSettings, TeamsSettings
from bot.vocabulary.events import WorkspaceRef
from bot.vocabulary.ports import Channels, EventSink, Roster, Sender
from playbooks.engine import Engine
from playbooks.loader import load_library
from playbooks.schema import Playbook
from storage.database import make_engine
from storage.references import StoredReferences
from storage.store import Store

log = logging.getLogger(__name__)


@dataclass
class Animateur:
    """Every long-lived part of one bot process."""

    settings: Settings
    clock: Clock
    store: Store
    engine: Engine
    dispatcher: Dispatcher
    worker: DeliveryWorker
    scheduler: Scheduler
    inbox: LocalInbox | None
    senders: dict[str, Sender] = field(default_factory=dict)
    slack: SlackPlatform | None = None
    teams: TeamsPlatform | None = None
    #: what the process counts for ``/metrics`` (its own registry, never a global one)
    metrics: Metrics = field(default_factory=lambda: Metrics(CollectorRegistry()))
    #: where the platforms hand their events: the dispatcher, counted
    events: EventSink | None = None
    #: signs the dashboard's links and sessions
    dashboard: DashboardLinks | None = None
    #: moves the clock forward: only when the local platform is the only one served
    travel: TimeTravel | None = None
    #: each platform's links to its messages, shown to facilitators
    message_links: MessageLinkBook = field(default_factory=MessageLinkBook)


#: The bot an aiohttp application serves (``app[BOT]``).
BOT = web.AppKey("bot", Animateur)


class ConfigurationError(Exception):
    """The environment describes a bot that cannot work; the message says what to change."""


def slack_config(settings: Settings, slack: SlackSettings) -> SlackConfig | None:
    if not slack.configured:
        return None
    config = SlackConfig(
        signing_secret=slack.signing_secret or "",
        bot_token=slack.bot_token,
        app_token=slack.app_token,
        client_id=slack.client_id,
        client_secret=slack.client_secret,
        api_url=settings.slack_api_url,
        secret_key=settings.secret_key.get_secret_value() if settings.secret_key else None,
    )
    problems = config.problems()
    if problems:
        raise ConfigurationError("Slack: " + "; ".join(problems))
    try:
        cipher = TokenCipher(config.secret_key)
    except SecretKeyError as exc:
        raise ConfigurationError(f"Slack: {exc}") from None
    if config.oauth and not cipher.enabled and settings.env == "production":
        raise ConfigurationError(
            "Slack: ANIMATEUR_SECRET_KEY is required in production to encrypt the OAuth tokens "
            "stored in the database: generate one with `animateur secret-key`"
        )
    if config.oauth and not cipher.enabled:
        log.warning("Slack OAuth tokens are stored unencrypted: set ANIMATEUR_SECRET_KEY")
    return config


#: Azure Bot app types, by the lowercase name botbuilder matches them with.
APP_TYPES = {t.lower(): t for t in ("SingleTenant", "MultiTenant", "UserAssignedMSI")}


def teams_config(settings: Settings, teams: TeamsSettings) -> TeamsConfig | None:
    if not teams.id and not settings.teams_anonymous:
        return None
    if not teams.id and settings.env == "production":
        raise ConfigurationError(
            "Teams: anonymous mode (no MICROSOFT_APP_ID) accepts unauthenticated requests "
            "and is refused when ANIMATEUR_ENV=production"
        )
    app_type = APP_TYPES.get(teams.type.lower())
    if app_type is None:
        raise ConfigurationError(
            f"Teams: MICROSOFT_APP_TYPE must be one of {', '.join(APP_TYPES.values())}, "
            f"got {teams.type!r}"
        )
    if teams.id and not teams.password and app_type != "UserAssignedMSI":
        raise ConfigurationError("Teams: MICROSOFT_APP_PASSWORD is required with MICROSOFT_APP_ID")
    if teams.id and app_type != "MultiTenant" and not teams.tenant_id:
        raise ConfigurationError(
            f"Teams: MICROSOFT_APP_TENANT_ID is required with MICROSOFT_APP_TYPE={app_type} "
            "(the default: new Azure Bots are single-tenant); a bot registered as multi-tenant "
            "before 2025-07-31 sets MICROSOFT_APP_TYPE=MultiTenant"
        )
    return TeamsConfig(
        app_id=teams.id,
        app_password=teams.password,
        app_type=app_type,
        tenant_id=teams.tenant_id,
        tenant_rps=settings.teams_tenant_rps,
        openid_metadata_url=settings.teams_openid_metadata_url,
    )


def secret_keys(settings: Settings) -> Callable[[], list[str]]:
    """ANIMATEUR_SECRET_KEY's keys (the first signs, any verifies), else a key made once and
    kept in ANIMATEUR_DASHBOARD_KEY_FILE — read or made at first use."""

    def keys() -> list[str]:
        if settings.secret_key is not None:
            return [k.strip() for k in settings.secret_key.get_secret_value().split(",")]
        path = Path(settings.dashboard_key_file)
        if not path.exists():
            log.info("dashboard key made and kept in a file", extra={"path": str(path)})
        return [load_or_create_key(path)]

    return keys


def dashboard_links(settings: Settings, clock: Clock) -> DashboardLinks:
    """Links signed with the secret keys (``secret_keys``), read at the dashboard's first use."""
    return DashboardLinks(secret_keys(settings), settings.public_url, clock)


def message_link_book(
    settings: Settings, store: Store, slack: SlackPlatform | None = None
) -> MessageLinkBook:
    """Each platform's links to its messages, for facilitators: all three, whatever this
    process serves (they need no credentials; ``animateur report`` uses them too). Slack's use
    the workspace's own address when auth.test told it."""
    no_address: Callable[[str], str | None] = lambda _team: None  # noqa: E731
    return MessageLinkBook(
        {
            "local": LocalMessageLinks(settings.public_url),
            "slack": SlackMessageLinks(slack.team_url if slack is not None else no_address),
            "teams": TeamsMessageLinks(StoredReferences(store)),
        }
    )


def build(
    settings: Settings,
    clock: Clock = utc_now,
    playbooks: Mapping[str, Playbook] | None = None,
    slack: SlackSettings | None = None,
    teams: TeamsSettings | None = None,
) -> Animateur:
    """Wire one bot process; raises ConfigurationError for an environment that cannot work."""
    library = dict(playbooks) if playbooks is not None else load_library()
    slack_cfg = slack_config(settings, slack if slack is not None else SlackSettings())
    teams_cfg = teams_config(settings, teams if teams is not None else TeamsSettings())
    playground = settings.playground_enabled(
        slack_configured=slack_cfg is not None, teams_configured=teams_cfg is not None
    )
    # Time travel only for the playground alone: Slack and Teams always keep real time.
    offset = OffsetClock(clock) if playground and slack_cfg is None and teams_cfg is None else None
    # the dashboard's links and sessions keep to the wall clock: a travel must not expire them
    wall, clock = clock, offset or clock
    store = Store(make_engine(settings.database_url))
    engine = Engine(library)
    metrics = Metrics(CollectorRegistry())
    metrics.watch_outbox(store, clock)
    senders: dict[str, Sender] = {}
    inbox: LocalInbox | None = None
    channels: dict[str, Channels] = {}  # who may run a community, per platform
    if playground:
        inbox = LocalInbox()
        senders["local"] = metrics.timed(LocalSender(inbox, clock))
        channels["local"] = LocalChannels()
    worker = DeliveryWorker(
        store,
        senders,
        clock,
        RetryPolicy(max_attempts=settings.delivery_max_attempts),
        lease=timedelta(seconds=settings.delivery_lease_seconds),
        concurrency=settings.delivery_concurrency,
    )
    governance = Governance(channels, Creators.parse(settings.community_creators))
    dispatcher = Dispatcher(
        store,
        engine,
        clock,
        on_enqueued=worker.wake,
        governance=governance,
        on_changed=worker.changed,
    )
    worker.foreground = dispatcher.foreground  # the sends wait while events are handled
    events = metrics.counted(dispatcher.handle)
    slack_platform = None
    if slack_cfg is not None:
        slack_platform = SlackPlatform(slack_cfg, events, store.engine)
        senders["slack"] = metrics.timed(slack_platform.sender)
        channels["slack"] = SlackChannels(slack_platform.bot_token, slack_cfg.api_url)
    rosters: dict[str, Roster] = {}
    if slack_platform is not None and slack_cfg is not None:
        rosters["slack"] = SlackRoster(slack_platform.bot_token, slack_cfg.api_url)
    community_rosters = Rosters(store, rosters)
    message_links = message_link_book(settings, store, slack_platform)
    scheduler = Scheduler(
        store,
        dispatcher.handle,
        dispatcher.fire_schedule,
        library,
        clock,
        grace=timedelta(minutes=settings.schedule_grace_minutes),
        roster=community_rosters,
        launcher=dispatcher.launches,
        on_lag=metrics.lag,
        rosters=RosterSync(store, community_rosters, clock).run_due,
        activity_retention=timedelta(days=settings.activity_retention_days),
        pulse=(
            PulseWatch(store, clock, library, on_enqueued=worker.wake, links=message_links).run_due
            if settings.pulse_notices
            else None
        ),
        delivery_retention=timedelta(days=settings.delivery_retention_days),
    )
    dispatcher.run_now = scheduler.run_now
    links = dashboard_links(settings, wall)
    if settings.public_url_is_loopback and (slack_cfg is not None or teams_cfg is not None):
        links.only_local = True
        log.warning(
            "ANIMATEUR_PUBLIC_URL is a loopback address while Slack or Teams is configured: "
            "dashboard links will only open on this machine — set it to the bot's public address",
            extra={"public_url": settings.public_url},
        )
    dispatcher.dashboard = links
    dispatcher.message_links = message_links
    dispatcher.person_keys = PersonKeys(secret_keys(settings))
    teams_platform = None
    if teams_cfg is not None:
        references = StoredReferences(store)
        teams_platform = TeamsPlatform(teams_cfg, events, references)
        senders["teams"] = metrics.timed(teams_platform.sender)
        rosters["teams"] = teams_platform
        channels["teams"] = TeamsChannels(references, teams_platform)
        if teams_cfg.anonymous:
            log.warning("Teams in anonymous mode: requests are not authenticated (testing only)")
    return Animateur(
        settings,
        clock,
        store,
        engine,
        dispatcher,
        worker,
        scheduler,
        inbox,
        senders,
        slack_platform,
        teams_platform,
        metrics,
        events,
        links,
        TimeTravel(offset, scheduler.tick, scheduler_step(settings)) if offset else None,
        message_links,
    )


def scheduler_step(settings: Settings) -> timedelta:
    """A jump's steps: a scheduled ritual jumped over starts late by less than the grace."""
    return timedelta(minutes=max(1, settings.schedule_grace_minutes))


async def _local_directory(bot: Animateur, workspace: str) -> dict[str, Any]:
    async with bot.store.read() as tx:
        found = await tx.directory.workspace(WorkspaceRef("local", workspace))
        if found is None or found.id is None:
            return {"workspace": workspace, "members": [], "communities": []}
        members = await tx.directory.members(found.id)
        communities = await tx.directory.communities(found.id)
    return {
        "workspace": workspace,
        "members": [
            {
                "id": m.user_id,
                "name": m.display_name or m.user_id,
                "locale": m.locale,
                "timezone": m.timezone,
            }
            for m in members
        ],
        "communities": [
            {"channel": c.channel_id, "name": c.name, "facilitators": c.facilitators}
            for c in communities
        ],
    }


def web_app(bot: Animateur, *, background: bool = True) -> web.Application:
    """The HTTP application; with ``background`` it also runs the worker and the scheduler."""
    app = web.Application(client_max_size=1024 * 1024)
    app[BOT] = bot
    app.add_routes(health_routes(bot.store))
    app.add_routes(metrics_routes(bot.metrics))
    app.add_routes(legal_routes())
    if bot.dashboard is not None:
        asking = {
            n for n, p in bot.engine.playbooks.items() if any(s.kind == "ask" for s in p.steps)
        }
        dashboard = Dashboard(bot.store, bot.dashboard, bot.clock, asking, bot.message_links)
        app.add_routes(dashboard.routes())
    if bot.inbox is not None:

        async def directory(workspace: str) -> dict[str, Any]:
            return await _local_directory(bot, workspace)

        events = bot.events or bot.dispatcher.handle
        travel = bot.travel.advance if bot.travel is not None else None
        local = LocalPlatform(bot.inbox, events, directory, bot.clock, travel)
        app.add_routes(local.routes())

        async def index(_request: web.Request) -> web.Response:
            raise web.HTTPFound("/playground")

        app.router.add_get("/", index)
    if bot.slack is not None:
        app.add_routes(bot.slack.routes())
    if bot.teams is not None:
        app.add_routes(bot.teams.routes())

    async def lifecycle(_app: web.Application) -> AsyncIterator[None]:
        seeded = bot.inbox is not None and bot.settings.demo
        if seeded and await seed_demo(bot.store, bot.clock(), sorted(bot.engine.playbooks)):
            log.info("demo workspace seeded")
        worker = None
        if bot.slack is not None:
            await bot.slack.start()
        if background:
            worker = asyncio.create_task(bot.worker.run(), name="delivery-worker")
            bot.scheduler.start(bot.settings.tick_seconds)
        lag = asyncio.create_task(watch_loop_lag(bot.metrics.loop_lag.observe), name="loop-lag")
        yield
        lag.cancel()
        # Graceful (SIGTERM): nothing new is claimed — no delivery, pass, run, fire or launch
        # chunk — while the sends and the chunk under way finish and are recorded; a launch
        # stopped mid-way is given back for the next process; then close.
        if worker is not None:
            bot.worker.stop()
        await bot.scheduler.stop()
        await bot.dispatcher.idle()
        if worker is not None:
            try:
                await asyncio.wait_for(worker, timeout=bot.worker.stop_budget)
            except TimeoutError:
                log.warning("delivery worker did not stop in time; its claims go back later")
        if bot.slack is not None:
            await bot.slack.stop()
        await bot.store.close()

    app.cleanup_ctx.append(lifecycle)
    return app
