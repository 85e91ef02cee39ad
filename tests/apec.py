"""APEC's 21 member economies in APEC's own order (ISO alpha-3), written out by hand for the
tests to check the configuration against, never read from it."""

APEC_ORDER = [
    "AUS",
    "BRN",
    "CAN",
    "CHL",
    "CHN",
    "HKG",
    "IDN",
    "JPN",
    "KOR",
    "MYS",
    "MEX",
    "NZL",
    "PNG",
    "PER",
    "PHL",
    "RUS",
    "SGP",
    "TWN",
    "THA",
    "USA",
    "VNM",
]
