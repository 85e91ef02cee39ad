"""Settings from the environment (prefix ``SMEWG_``) or a ``.env`` file (SPEC section 7).

Secrets are :class:`pydantic.SecretStr`: they print as ``**********`` and are read with
``get_secret_value()`` only where they are used.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from config import DEFAULT_PLAN_FILE, ECONOMIES_FILE


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SMEWG_", env_file=".env", extra="ignore")

    home: Path = Path("var")
    """Root of the local state: database file, inbox, outputs."""
    database_url: SecretStr | None = None
    """SQLAlchemy URL of the store; default a SQLite file under ``home``. May hold a password."""
    inbox: Path | None = None
    plan_file: Path = DEFAULT_PLAN_FILE
    economies_file: Path = ECONOMIES_FILE
    slack_token: SecretStr | None = None
    slack_base_url: str = "https://slack.com/api/"
    slack_secretariat_channel: str = "#smewg-secretariat"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{(self.home / 'smewg.db').resolve()}"

    @property
    def resolved_inbox(self) -> Path:
        return self.inbox if self.inbox is not None else self.home / "inbox"

    @property
    def outputs_dir(self) -> Path:
        return self.home / "outputs"


def get_settings(**overrides) -> Settings:
    """Fresh settings each call, so tests and the CLI can change the environment."""
    return Settings(**overrides)
