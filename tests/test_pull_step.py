"""The deployments' pull step runs on the worker and finds the worker's own checkout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from smewg.core.paths import PROJECT_DIR
from smewg.flows.pull import use_local_checkout


def test_prefect_yaml_pulls_with_the_worker_side_step():
    document = yaml.safe_load((PROJECT_DIR / "prefect.yaml").read_text())
    assert document["pull"] == [{"smewg.flows.pull.use_local_checkout": {}}]


def test_the_step_goes_to_the_installed_checkout_or_smewg_checkout(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMEWG_CHECKOUT", raising=False)
    assert use_local_checkout() == {"directory": str(PROJECT_DIR)}
    assert Path(os.getcwd()) == PROJECT_DIR

    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "prefect.yaml").write_text("name: smewg-cycle\n")
    monkeypatch.setenv("SMEWG_CHECKOUT", str(other))
    assert use_local_checkout() == {"directory": str(other)}
    assert Path(os.getcwd()) == other


def test_a_folder_that_is_no_checkout_is_refused_with_what_to_do(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SMEWG_CHECKOUT", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="set SMEWG_CHECKOUT"):
        use_local_checkout()
    assert Path(os.getcwd()) == tmp_path
