"""Great Expectations suites (JSON files) that validate every submission."""

from pathlib import Path

EXPECTATIONS_DIR = Path(__file__).resolve().parent
