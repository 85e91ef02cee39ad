"""The deployments' pull step: run from this machine's checkout of smewg-cycle.

``prefect deploy`` resolves ``{{ $VAR }}`` in ``prefect.yaml`` on the machine that deploys,
so a ``set_working_directory`` step would send every worker to the deploying machine's
folder. This step runs on the worker, when a run starts, and goes to the checkout that the
worker's own ``smewg`` is installed from (``make install``); ``SMEWG_CHECKOUT`` on the worker
overrides it. Either way the entrypoints (``flows/...``) and the data folders (``config/``,
``schedule/``, ``expectations/``) are the worker's.
"""

from __future__ import annotations

import os
from pathlib import Path

from smewg.core.paths import PROJECT_DIR


def use_local_checkout() -> dict[str, str]:
    """Make the worker's checkout the working directory of the flow run; returns it as ``directory``."""
    directory = Path(os.environ.get("SMEWG_CHECKOUT") or PROJECT_DIR)
    if not (directory / "prefect.yaml").is_file():
        raise FileNotFoundError(
            f"{directory} is not a smewg-cycle checkout (no prefect.yaml): install smewg-cycle on this "
            "worker (make install) or set SMEWG_CHECKOUT to its checkout"
        )
    os.chdir(directory)
    return {"directory": str(directory)}
