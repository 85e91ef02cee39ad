"""Settings from the environment (prefix ``SMEWG_``) or a ``.env`` file (SPEC section 7).

Secrets are :class:`pydantic.SecretStr`: they print as ``**********`` and are read with
``get_secret_value()`` only where they are used.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from smewg.core.paths import DEFAULT_PLAN_FILE, ECONOMIES_FILE, FX_FILE, RUBRIC_FILE, SCHEDULE_DIR, SLACK_FILE


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SMEWG_", env_file=".env", extra="ignore")

    home: Path = Path("var")
    """Root of the local state: database file, inbox, outputs."""
    database_url: SecretStr | None = None
    """SQLAlchemy URL of the store; default a SQLite file under ``home``. May hold a password."""
    inbox: Path | None = None
    plan_file: Path = DEFAULT_PLAN_FILE
    economies_file: Path = ECONOMIES_FILE
    schedule_dir: Path = SCHEDULE_DIR
    """Where the cycle calendars (``cycle-YYYY.yaml``) live."""
    slack_file: Path = SLACK_FILE
    fx_file: Path = FX_FILE
    """Yearly FX table used to convert amounts to USD in the rollup."""
    rubric_file: Path = RUBRIC_FILE
    """How project proposals are scored (``smewg proposals rank``)."""
    slack_token: SecretStr | None = None
    slack_token_block: str | None = None
    """Name of a Prefect Secret block holding the token, used when SMEWG_SLACK_TOKEN is unset."""
    slack_base_url: str = "https://slack.com/api/"
    slack_secretariat_channel: str = "#smewg-secretariat"
    slack_timeout_seconds: int = 30
    max_submission_bytes: int = 20_000_000
    """Files larger than this are rejected unread."""
    inbox_quiet_seconds: int = 30
    """A file changed less than this long ago may still be being copied: it waits for the next run."""
    public_base_url: str | None = None
    """Where $SMEWG_HOME/outputs is published (e.g. https://intranet/smewg/); links in messages use it."""

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

    @property
    def exports_dir(self) -> Path:
        return self.outputs_dir / "exports"

    @property
    def proposals_dir(self) -> Path:
        """Project proposals and the economies' scoring sheets, a folder per session (``2021A``)."""
        return self.home / "proposals"

    @property
    def data_docs_dir(self) -> Path:
        return self.outputs_dir / "data_docs"

    def template_file(self, year: int, economy_code: str) -> Path:
        """Where ``smewg templates`` puts an economy's template for a cycle."""
        return self.outputs_dir / "templates" / str(year) / f"smewg-{year}-{economy_code}.xlsx"


def public_link(settings: Settings, path: str | Path | None) -> str | None:
    """How a message names a file under the outputs folder: a link under ``public_base_url``
    when the outputs are published, else only the file's name (a path on the Secretariat's
    server means nothing to an economy). None for no file."""
    if path is None:
        return None
    path = Path(path)
    if settings.public_base_url:
        try:
            relative = path.resolve().relative_to(settings.outputs_dir.resolve())
            return settings.public_base_url.rstrip("/") + "/" + relative.as_posix()
        except ValueError:
            pass
    return path.name


HOME_SETTINGS_FILE = "smewg.env"
"""A settings file kept in ``SMEWG_HOME`` (the demo leaves one): the folder says how to read it."""


def get_settings(**overrides) -> Settings:
    """Fresh settings each call, so tests and the CLI can change the environment.

    Read from, in order of precedence: the environment, ``.env`` in the working directory,
    then ``$SMEWG_HOME/smewg.env`` (so ``SMEWG_HOME=var/demo smewg status`` uses the demo's
    calendars, as the demo prints it)."""
    home = Path(os.environ.get("SMEWG_HOME") or Settings.model_fields["home"].default)
    return Settings(_env_file=(home / HOME_SETTINGS_FILE, ".env"), **overrides)


def flow_run_page(ui_url: str | None, flow_run_id: object) -> str:
    """The page of a flow run in the Prefect UI at ``ui_url`` (``PREFECT_UI_URL``)."""
    return f"{(ui_url or '').rstrip('/')}/runs/flow-run/{flow_run_id}"
