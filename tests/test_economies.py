"""Every way a person names an economy resolves to its ISO alpha-3 code, or fails helpfully."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smewg.core.economies import EconomyFileError, UnknownEconomy, load_economies
from smewg.core.paths import ECONOMIES_FILE

REGISTRY = load_economies(ECONOMIES_FILE)

# APEC's display names (SPEC section 3), in APEC order, with the canonical code.
APEC_ORDER = [
    ("AUS", "Australia"),
    ("BRN", "Brunei Darussalam"),
    ("CAN", "Canada"),
    ("CHL", "Chile"),
    ("CHN", "People's Republic of China"),
    ("HKG", "Hong Kong, China"),
    ("IDN", "Indonesia"),
    ("JPN", "Japan"),
    ("KOR", "Republic of Korea"),
    ("MYS", "Malaysia"),
    ("MEX", "Mexico"),
    ("NZL", "New Zealand"),
    ("PNG", "Papua New Guinea"),
    ("PER", "Peru"),
    ("PHL", "The Philippines"),
    ("RUS", "Russia"),
    ("SGP", "Singapore"),
    ("TWN", "Chinese Taipei"),
    ("THA", "Thailand"),
    ("USA", "The United States"),
    ("VNM", "Viet Nam"),
]

# What people type: alpha-2 codes, APEC abbreviations and common names (SPEC section 3).
TYPED = {
    "AU": "AUS",
    "BN": "BRN",
    "BD": "BRN",
    "Brunei": "BRN",
    "CA": "CAN",
    "CDA": "CAN",
    "CL": "CHL",
    "CN": "CHN",
    "PRC": "CHN",
    "China": "CHN",
    "HK": "HKG",
    "HKC": "HKG",
    "Hong Kong": "HKG",
    "ID": "IDN",
    "INA": "IDN",
    "JP": "JPN",
    "KR": "KOR",
    "ROK": "KOR",
    "Korea": "KOR",
    "South Korea": "KOR",
    "Korea, Rep.": "KOR",
    "MY": "MYS",
    "MAS": "MYS",
    "MX": "MEX",
    "NZ": "NZL",
    "PG": "PNG",
    "PE": "PER",
    "PH": "PHL",
    "Philippines": "PHL",
    "RP": "PHL",
    "RU": "RUS",
    "Russian Federation": "RUS",
    "SG": "SGP",
    "TW": "TWN",
    "CT": "TWN",
    "TH": "THA",
    "US": "USA",
    "United States": "USA",
    "USA": "USA",
    "VN": "VNM",
    "Vietnam": "VNM",
    "Viet nam": "VNM",
}

# One plausible misspelling per economy: none resolves, each names the intended economy.
MISSPELT = {
    "Austrailia": "AUS",
    "Brunei Darusalam": "BRN",
    "Canda": "CAN",
    "Chilie": "CHL",
    "Peoples Republik of China": "CHN",
    "Hongkong China": "HKG",
    "Indonesa": "IDN",
    "Japon": "JPN",
    "Republic of Koreaa": "KOR",
    "Malasia": "MYS",
    "Mexiko": "MEX",
    "New Zeeland": "NZL",
    "Papua Nugini": "PNG",
    "Peruu": "PER",
    "Phillipines": "PHL",
    "Rusia": "RUS",
    "Singapur": "SGP",
    "Chinese Taipeh": "TWN",
    "Thailande": "THA",
    "United Sates": "USA",
    "Vietnamm": "VNM",
}


def test_registry_lists_the_21_economies_in_apec_order_with_display_names():
    assert [(e.code, e.name) for e in REGISTRY] == APEC_ORDER
    assert [e.order for e in REGISTRY] == list(range(1, 22))


@pytest.mark.parametrize(("code", "name"), APEC_ORDER)
def test_code_and_display_name_resolve_in_any_case(code, name):
    for text in (code, code.lower(), name, name.upper(), f"  {name.lower()}  "):
        assert REGISTRY.resolve(text).code == code


@pytest.mark.parametrize(("text", "code"), sorted(TYPED.items()))
def test_alias_resolves(text, code):
    assert REGISTRY.resolve(text).code == code
    assert REGISTRY.resolve(text.lower()).code == code


def test_every_alias_in_the_config_resolves_to_its_own_economy():
    for economy in REGISTRY:
        for alias in economy.all_names:
            assert REGISTRY.resolve(alias) is economy


@pytest.mark.parametrize(("text", "code"), sorted(MISSPELT.items()))
def test_misspelling_fails_naming_the_nearest_economy(text, code):
    with pytest.raises(UnknownEconomy) as raised:
        REGISTRY.resolve(text)
    nearest = REGISTRY.get(code)
    assert raised.value.nearest is nearest
    assert f"did you mean {nearest.name} ({code})" in str(raised.value)
    assert repr(text) in str(raised.value)


def test_text_like_no_economy_fails_without_a_guess():
    with pytest.raises(UnknownEconomy) as raised:
        REGISTRY.resolve("Atlantis")
    assert raised.value.nearest is None
    assert "did you mean" not in str(raised.value)


def test_chinese_taipei_is_never_shown_under_another_name():
    economy = REGISTRY.resolve("TWN")
    assert economy.name == "Chinese Taipei"
    assert all("taiwan" not in alias.lower() for alias in economy.all_names)


@given(st.sampled_from(list(TYPED.items())), st.sampled_from(["", " ", ".", "  "]))
def test_surrounding_whitespace_and_punctuation_do_not_matter(pair, decoration):
    text, code = pair
    assert REGISTRY.resolve(f"{decoration}{text}{decoration}").code == code


def test_an_alias_claimed_by_two_economies_is_refused(tmp_path):
    broken = tmp_path / "economies.yaml"
    broken.write_text(
        "economies:\n"
        "  - {code: AUS, name: Australia, alpha2: AU, aliases: [Oz]}\n"
        "  - {code: NZL, name: New Zealand, alpha2: NZ, aliases: [oz]}\n"
    )
    with pytest.raises(EconomyFileError, match="alias 'oz' names both AUS and NZL"):
        load_economies(broken)
