"""What the Slack adapter needs to know, built by the composition root from the environment."""

from __future__ import annotations

from dataclasses import dataclass

PUBLIC_API_URL = "https://slack.com/api/"


@dataclass(frozen=True, slots=True)
class SlackConfig:
    signing_secret: str
    #: single-workspace mode
    bot_token: str | None = None
    #: Socket Mode (no public URL needed)
    app_token: str | None = None
    #: multi-workspace OAuth install
    client_id: str | None = None
    client_secret: str | None = None
    api_url: str = PUBLIC_API_URL
    #: ``ANIMATEUR_SECRET_KEY``: Fernet key(s) sealing the stored OAuth tokens ("new,old")
    secret_key: str | None = None

    @property
    def oauth(self) -> bool:
        return bool(self.client_id and self.client_secret)

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    def problems(self) -> list[str]:
        """Why this configuration cannot work, in the environment's words."""
        found = []
        if not self.signing_secret and not self.socket_mode:
            found.append("SLACK_SIGNING_SECRET is required (or SLACK_APP_TOKEN for Socket Mode)")
        if not self.bot_token and not self.oauth:
            found.append("set SLACK_BOT_TOKEN, or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
        if self.bot_token and self.oauth:
            found.append("set SLACK_BOT_TOKEN or SLACK_CLIENT_ID/SECRET, not both")
        if self.app_token and not self.app_token.startswith("xapp-"):
            found.append("SLACK_APP_TOKEN must be an app-level token (xapp-…)")
        return found
