"""Configuration, read from the environment (``ANIMATEUR_*``) and an optional ``.env`` file."""

from __future__ import annotations

from ipaddress import ip_address
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./animateur.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ANIMATEUR_", env_file=".env", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = Field(default=3000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    env: Literal["development", "production"] = "development"
    #: Serve the local platform and /playground. Default: on when no Slack/Teams credentials,
    #: never by default in production.
    playground: bool | None = None
    #: Seed a demo workspace (a few members, one community) into an empty local platform.
    demo: bool = True
    #: Seconds between scheduler passes (due timers, cron fires).
    tick_seconds: float = Field(default=5.0, gt=0)
    #: A scheduled fire missed by less than this (bot was down) is caught up; older is skipped.
    schedule_grace_minutes: int = Field(default=60, ge=0)
    #: Attempts before a delivery is dead-lettered.
    delivery_max_attempts: int = Field(default=6, ge=1)
    #: Seconds a claimed delivery is held without renewal (renewed every third of it while its
    #: send is under way): a process killed mid-send holds its claims this long, then another
    #: process sends them.
    delivery_lease_seconds: float = Field(default=15.0, ge=1.0)
    #: Sends one process has under way at once (to different recipients); also the most a
    #: process killed mid-send may have sent without recording it (sent again after restart).
    delivery_concurrency: int = Field(default=16, ge=1, le=1000)
    #: Days the raw activity history is kept; the pulse's daily rollups stay beyond.
    activity_retention_days: int = Field(default=400, ge=30)
    #: early warnings and the weekly health digest to facilitators (issue 11 §3)
    pulse_notices: bool = True
    #: Days a sent message's text is kept in the outbox (its kind, recipient and times stay).
    delivery_retention_days: int = Field(default=30, ge=1)
    #: Base URL of the Slack Web API (point it at a fake or a proxy).
    slack_api_url: str = "https://slack.com/api/"
    #: Run the Teams adapter without an app id: no JWT checked — local testing only, refused
    #: in production.
    teams_anonymous: bool = False
    #: Requests per second to one Teams tenant.
    teams_tenant_rps: float = Field(default=30.0, gt=0)
    #: Where Bot Framework's signing keys are published (sovereign clouds, tests).
    teams_openid_metadata_url: str | None = None
    #: Who may declare a channel a community besides its creator (Slack), the person who added
    #: the app to the team (Teams) and workspace admins: comma-separated user ids, or
    #: ``everyone``. Empty: nobody else.
    community_creators: str = ""
    #: Fernet key(s) encrypting the Slack OAuth tokens stored in the database; "new,old" while
    #: rotating (``animateur secret-key`` makes one). Required in production with Slack OAuth.
    secret_key: SecretStr | None = None
    #: Where the dashboard's links point (the bot's public address, as people open it).
    public_url: str = "http://127.0.0.1:3000"
    #: Without ANIMATEUR_SECRET_KEY, the key signing the dashboard's links and sessions is
    #: made once and kept in this file (links then survive restarts).
    dashboard_key_file: str = "animateur-dashboard.key"

    @property
    def public_url_is_loopback(self) -> bool:
        """Whether ANIMATEUR_PUBLIC_URL only opens on the bot's own machine (127.0.0.1,
        localhost, ::1): fine for the playground, useless in Slack or Teams."""
        host = (urlsplit(self.public_url).hostname or "").lower()
        if host == "localhost" or host.endswith(".localhost"):
            return True
        try:
            return ip_address(host).is_loopback
        except ValueError:
            return False

    def playground_enabled(self, slack_configured: bool, teams_configured: bool) -> bool:
        if self.playground is not None:
            return self.playground
        return self.env != "production" and not (slack_configured or teams_configured)


class SlackSettings(BaseSettings):
    """Slack credentials, named as Bolt names them (``SLACK_*``)."""

    model_config = SettingsConfigDict(env_prefix="SLACK_", env_file=".env", extra="ignore")

    bot_token: str | None = None
    signing_secret: str | None = None
    app_token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None

    @property
    def configured(self) -> bool:
        return bool(self.bot_token or self.app_token or (self.client_id and self.client_secret))


class TeamsSettings(BaseSettings):
    """Bot Framework credentials, named as the Azure Bot registration names them."""

    model_config = SettingsConfigDict(env_prefix="MICROSOFT_APP_", env_file=".env", extra="ignore")

    id: str = ""
    password: str = ""
    #: New Azure Bots are single-tenant or managed identity (multi-tenant creation ended
    #: 2025-07-31): SingleTenant needs MICROSOFT_APP_TENANT_ID.
    type: str = "SingleTenant"
    tenant_id: str = ""
