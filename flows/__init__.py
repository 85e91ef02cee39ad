"""Prefect flows: thin orchestration over ``tasks``. Each flow takes ``as_of``."""
