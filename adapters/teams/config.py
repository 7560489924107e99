"""What the Teams adapter needs, built by the composition root from the environment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botframework.connector.auth import AuthenticationConstants as Auth
from botframework.connector.auth import CallerIdConstants


@dataclass(frozen=True, slots=True)
class TeamsConfig:
    #: empty: anonymous mode (no JWT checked, no token sent) — local testing only
    app_id: str = ""
    app_password: str = ""
    #: SingleTenant (with tenant_id), MultiTenant (bots created before 2025-07-31) or
    #: UserAssignedMSI (with tenant_id)
    app_type: str = "SingleTenant"
    tenant_id: str = ""
    #: requests per second to one tenant (Teams allows about 30–50 per app and tenant)
    tenant_rps: float = 30.0
    #: where the channel's signing keys are published, when not Bot Framework's public cloud
    openid_metadata_url: str | None = None

    @property
    def anonymous(self) -> bool:
        return not self.app_id

    def botbuilder_configuration(self) -> Any:
        """The configuration object botbuilder's ConfigurationBotFrameworkAuthentication reads."""
        values: dict[str, Any] = {
            "APP_ID": self.app_id,
            "APP_PASSWORD": self.app_password,
            # anonymous: botbuilder runs without credentials only as MultiTenant
            "APP_TYPE": "MultiTenant" if self.anonymous else self.app_type,
            "APP_TENANTID": self.tenant_id,
        }
        if self.openid_metadata_url:
            # Any of these switches botframework to settings read entirely from here: give it
            # the public cloud's, with the metadata URL replaced.
            values |= {
                "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": self.openid_metadata_url,
                "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": Auth.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER,
                "TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL": (
                    Auth.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL
                ),
                "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE": Auth.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
                "TO_CHANNEL_FROM_BOT_LOGIN_URL": (
                    Auth.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX + Auth.DEFAULT_CHANNEL_AUTH_TENANT
                ),
                "OAUTH_URL": Auth.OAUTH_URL,
                "CALLER_ID": CallerIdConstants.public_azure_channel,
                "VALIDATE_AUTHORITY": True,
            }
        return type("BotbuilderConfiguration", (), values)()
