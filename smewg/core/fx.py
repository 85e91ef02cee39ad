"""The yearly FX table (``config/fx.yaml``): local currency units per US dollar."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from smewg.core.config_files import ConfigFileError, loaded_once, read_yaml, validate


class FxError(ConfigFileError):
    """An FX file that cannot be used; the message names the file and key."""


class FxTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    base: str = "USD"
    source: str = ""
    rates: dict[int, dict[str, float]] = Field(default_factory=dict)
    checksum: str = ""

    @field_validator("rates")
    @classmethod
    def _positive(cls, rates: dict[int, dict[str, float]]) -> dict[int, dict[str, float]]:
        for year, table in rates.items():
            for currency, rate in table.items():
                if not rate > 0:
                    raise ValueError(f"{year}.{currency}: a rate must be positive, not {rate}")
        return rates

    def rate(self, year: int, currency: str) -> float | None:
        """Units of ``currency`` per USD in ``year``; None when the table has no such rate."""
        return self.rates.get(year, {}).get(currency.upper())


def load_fx(path: Path) -> FxTable:
    """The FX table in ``path``, parsed once per content (every rollup reads it; its YAML
    took ~15 ms of a ~0.1 s rollup)."""
    return loaded_once(path, _read_fx)


def _read_fx(path: Path) -> FxTable:
    text, raw = read_yaml(path, FxError, missing="FX file not found")
    checksum = hashlib.sha256(text.encode()).hexdigest()
    return validate(FxTable, {**(raw or {}), "checksum": checksum}, path, FxError, "the FX table")
