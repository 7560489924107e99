"""slack_sdk's OAuth installation and state tables, as slack_sdk defines them, so that our
migrations create them on the bot's database (SQLite or PostgreSQL).

One change: token columns are wider than slack_sdk's 200 characters, to hold tokens encrypted
at rest (``fernet:`` and the Fernet token: about 4/3 of the token plus 100).
"""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData, String

SLACK_METADATA = MetaData()
INSTALLATIONS = SQLAlchemyInstallationStore.build_installations_table(
    SLACK_METADATA, SQLAlchemyInstallationStore.default_installations_table_name
)
BOTS = SQLAlchemyInstallationStore.build_bots_table(
    SLACK_METADATA, SQLAlchemyInstallationStore.default_bots_table_name
)
#: Room for an encrypted token of up to 1,000 characters.
TOKEN_LENGTH = 1500
TOKEN_COLUMNS = {
    INSTALLATIONS: ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token"),
    BOTS: ("bot_token", "bot_refresh_token"),
}
for _table, _columns in TOKEN_COLUMNS.items():
    for _column in _columns:
        _table.c[_column].type = String(TOKEN_LENGTH)
SQLAlchemyOAuthStateStore.build_oauth_states_table(
    SLACK_METADATA, SQLAlchemyOAuthStateStore.default_table_name
)
