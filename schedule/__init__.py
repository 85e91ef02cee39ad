"""Cycle calendars (one YAML file per reference year), edited by the Secretariat."""

from pathlib import Path

SCHEDULE_DIR = Path(__file__).resolve().parent
