"""Which Slack channel each message goes to: an economy's focal point, or the Secretariat."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field


class ChannelDirectory(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    focal_point_channel_pattern: str = "#smewg-fp-{code}"
    focal_points: dict[str, str] = Field(default_factory=dict)
    secretariat: str = "#smewg-secretariat"

    def focal_point(self, economy_code: str) -> str:
        return self.focal_points.get(economy_code) or self.focal_point_channel_pattern.format(code=economy_code.lower())


def load_channels(path: Path, secretariat: str) -> ChannelDirectory:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return ChannelDirectory.model_validate({**raw, "secretariat": secretariat})
