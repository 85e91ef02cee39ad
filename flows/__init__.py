"""Prefect flows (imported as ``smewg.flows``): thin orchestration over ``smewg.tasks``.

A flow resolves its cycle (``year``, ``as_of``), loads the cycle context once, calls
tasks, writes artifacts and returns a summary. No SQL, file naming or business rules
here: those live in ``smewg.work``.
"""
