"""APEC member economies and the resolution of what people type into canonical codes.

``resolve("Korea")`` gives ``KOR``. Codes (alpha-3 and alpha-2), APEC abbreviations,
display names and common names all resolve, in any case, ignoring punctuation and a
leading "the". Anything else raises :class:`UnknownEconomy`, which names the nearest
economy rather than guessing: a misspelt economy must never land in another's data.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from smewg.core.config_files import ConfigFileError, read_yaml, validate


class UnknownEconomy(LookupError):
    """Text that names no APEC economy. ``nearest`` is the closest economy, if any."""

    def __init__(self, text: str, nearest: Economy | None):
        self.text = text
        self.nearest = nearest
        hint = f"; did you mean {nearest.name} ({nearest.code})?" if nearest else ""
        super().__init__(f"{text!r} is not an APEC economy{hint}")


class EconomyFileError(ConfigFileError):
    """An economies file that cannot be used; the message names the file and the key."""


def normalise(text: str) -> str:
    """Fold text for matching: accents, case, punctuation and a leading 'the' do not count."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    folded = re.sub(r"[^a-z0-9]+", " ", folded.lower()).strip()
    return folded.removeprefix("the ").strip()


class Economy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[A-Z]{3}$")
    name: str
    alpha2: str = Field(pattern=r"^[A-Z]{2}$")
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    aliases: tuple[str, ...] = ()
    typed_names: tuple[str, ...] = ()
    """Names people type that resolve to the economy but are never shown or listed as its
    names ("Taiwan" finds Chinese Taipei, which APEC shows only as "Chinese Taipei")."""
    order: int = 0

    @property
    def all_names(self) -> tuple[str, ...]:
        """The economy's names as listed (code, alpha-2, display name, aliases), code first."""
        return (self.code, self.alpha2, self.name, *self.aliases)

    @property
    def resolvable_names(self) -> tuple[str, ...]:
        """Everything that resolves to this economy: its names and what people type for it."""
        return (*self.all_names, *self.typed_names)


class EconomyRegistry(BaseModel):
    """The economies in APEC order, with an alias index built once."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    economies: tuple[Economy, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _aliases_are_unambiguous(self) -> EconomyRegistry:
        seen: dict[str, str] = {}
        for economy in self.economies:
            for name in economy.resolvable_names:
                key = normalise(name)
                owner = seen.setdefault(key, economy.code)
                if owner != economy.code:
                    raise ValueError(f"alias {name!r} names both {owner} and {economy.code}")
        return self

    @cached_property
    def _index(self) -> dict[str, Economy]:
        return {normalise(name): economy for economy in self.economies for name in economy.resolvable_names}

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(e.code for e in self.economies)

    def __iter__(self):
        return iter(self.economies)

    def __len__(self) -> int:
        return len(self.economies)

    def get(self, code: str) -> Economy:
        for economy in self.economies:
            if economy.code == code:
                return economy
        raise KeyError(code)

    def resolve(self, text: str) -> Economy:
        """The economy ``text`` names, or :class:`UnknownEconomy` naming the nearest one."""
        key = normalise(text)
        if key in self._index:
            return self._index[key]
        raise UnknownEconomy(text, self.nearest(text))

    def nearest(self, text: str) -> Economy | None:
        """The economy whose code, name or alias is most like ``text`` (None if nothing is)."""
        key = normalise(text)
        if not key:
            return None
        best: tuple[float, Economy] | None = None
        for candidate, economy in self._index.items():
            # Two-letter codes are too short to say anything about a longer misspelling.
            if len(candidate) <= 3 and len(key) > 3:
                continue
            score = difflib.SequenceMatcher(None, key, candidate).ratio()
            if best is None or score > best[0]:
                best = (score, economy)
        return best[1] if best and best[0] >= 0.7 else None


def load_economies(path: str | Path) -> EconomyRegistry:
    """Read the economies file; APEC order is the order of the file."""
    path = Path(path)
    _, raw = read_yaml(path, EconomyFileError, missing="economies file not found")
    if not isinstance(raw, dict) or not isinstance(raw.get("economies"), list):
        raise EconomyFileError(f"{path}: expected a top-level 'economies' list")
    entries = [
        {**entry, "order": position} if isinstance(entry, dict) else entry
        for position, entry in enumerate(raw["economies"], start=1)
    ]
    return validate(EconomyRegistry, {"economies": entries}, path, EconomyFileError, "the economies file")
