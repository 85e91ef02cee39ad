"""Which Slack channel each message goes to: an economy's focal point, or the Secretariat."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from smewg.core.config_files import ConfigFileError, read_yaml, validate


class ChannelDirectory(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    focal_point_channel_pattern: str = "#smewg-fp-{code}"
    focal_points: dict[str, str] = Field(default_factory=dict)
    secretariat: str = "#smewg-secretariat"

    def focal_point(self, economy_code: str) -> str:
        return self.focal_points.get(economy_code) or self.focal_point_channel_pattern.format(code=economy_code.lower())


class ChannelsError(ConfigFileError):
    """A Slack channels file that cannot be used; the message names the file and key."""


def load_channels(path: Path, secretariat: str) -> ChannelDirectory:
    _, raw = read_yaml(path, ChannelsError, missing="Slack channels file not found (SMEWG_SLACK_FILE)")
    if raw is not None and not isinstance(raw, dict):
        raise ChannelsError(f"{path}: the Slack channels file must be a mapping of keys to values")
    return validate(ChannelDirectory, {**(raw or {}), "secretariat": secretariat}, path, ChannelsError, "the Slack channels file")
