"""Prefect tasks (imported as ``smewg.tasks``): thin wrappers that add retries, timeouts,
cache policies and run logging around the plain work in ``smewg.work``.

Tasks take the flow run's :class:`~smewg.core.cycle.CycleContext` (catalogue, calendar,
channels and one store engine), never reload it. They never cache: the context holds an
engine, which has no stable hash, and every step is idempotent in the store anyway.
"""
