"""The yearly FX table (``config/fx.yaml``): local currency units per US dollar."""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class FxError(ValueError):
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
    try:
        text = path.read_text(encoding="utf-8")
        raw = yaml.safe_load(text) or {}
    except FileNotFoundError as error:
        raise FxError(f"{path}: FX file not found") from error
    except yaml.YAMLError as error:
        raise FxError(f"{path}: not valid YAML: {error}") from error
    try:
        return FxTable.model_validate({**raw, "checksum": hashlib.sha256(text.encode()).hexdigest()})
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, p['loc']))}: {p['msg'].removeprefix('Value error, ')}"
                             for p in error.errors())
        raise FxError(f"{path}: the FX table is not valid: {problems}") from None
