"""slack_sdk's OAuth installation and state tables, as slack_sdk defines them, so that our
migrations create them on the bot's database (SQLite or PostgreSQL)."""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData

SLACK_METADATA = MetaData()
SQLAlchemyInstallationStore.build_installations_table(
    SLACK_METADATA, SQLAlchemyInstallationStore.default_installations_table_name
)
SQLAlchemyInstallationStore.build_bots_table(
    SLACK_METADATA, SQLAlchemyInstallationStore.default_bots_table_name
)
SQLAlchemyOAuthStateStore.build_oauth_states_table(
    SLACK_METADATA, SQLAlchemyOAuthStateStore.default_table_name
)
