"""A broken plan file fails to load with a message naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from smewg.core.catalogue import PlanError, load_catalogue, load_plan
from smewg.core.paths import DEFAULT_PLAN_FILE, ECONOMIES_FILE


def _good() -> dict:
    return yaml.safe_load(DEFAULT_PLAN_FILE.read_text())


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "broken-plan.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _error(path: Path) -> str:
    with pytest.raises(PlanError) as raised:
        load_plan(path)
    message = str(raised.value)
    assert str(path) in message
    return message


def test_missing_objective_title(tmp_path):
    data = _good()
    del data["priorities"][0]["objectives"][1]["title"]
    message = _error(_write(tmp_path, data))
    assert "priorities[0] (id 1) > objectives[1] (id 1.2) > title: field required" in message


def test_duplicate_indicator_id(tmp_path):
    data = _good()
    data["general_indicators"][1]["id"] = "G.1"
    message = _error(_write(tmp_path, data))
    assert "(top level): duplicate indicator id(s): G.1" in message


def test_duplicate_indicator_id_within_an_objective(tmp_path):
    data = _good()
    data["priorities"][1]["objectives"][0]["indicators"][1]["id"] = "2.1.1"
    message = _error(_write(tmp_path, data))
    assert "priorities[1] (id 2) > objectives[0] (id 2.1)" in message
    assert "duplicate indicator id(s): 2.1.1" in message


def test_unknown_kind(tmp_path):
    data = _good()
    data["priorities"][3]["objectives"][0]["indicators"][0]["kind"] = "money"
    message = _error(_write(tmp_path, data))
    assert "objectives[0] (id 4.1) > indicators[0] (id 4.1.1) > kind" in message
    assert "'count', 'percent' or 'amount'" in message


def test_misspelt_key(tmp_path):
    data = _good()
    data["priorities"][0]["titel"] = data["priorities"][0].pop("title")
    message = _error(_write(tmp_path, data))
    assert "priorities[0] (id 1) > titel: unknown key" in message
    assert "priorities[0] (id 1) > title: field required" in message


def test_breakdowns_without_total(tmp_path):
    data = _good()
    data["priorities"][0]["objectives"][2]["indicators"][0]["breakdowns"] = ["women"]
    message = _error(_write(tmp_path, data))
    assert "indicators[0] (id 1.3.1) > breakdowns: breakdowns must start with 'total'" in message


def test_review_outside_the_period(tmp_path):
    data = _good()
    data["reviews"][1]["year"] = 2025
    assert "final review year 2025 is outside the plan period 2021-2024" in _error(_write(tmp_path, data))


def test_not_yaml(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text("priorities: [unclosed\n")
    assert "not valid YAML" in _error(path)


def test_missing_file(tmp_path):
    assert "plan file not found" in _error(tmp_path / "nowhere.yaml")


def test_economy_unknown_to_the_economies_file(tmp_path):
    data = _good()
    data["economies"].append("XYZ")
    path = _write(tmp_path, data)
    with pytest.raises(PlanError, match=r"economies: XYZ not in .*economies.yaml"):
        load_catalogue(path, ECONOMIES_FILE)
