"""Units of work. Each module is about one thing and exposes plain functions (the work)
and the Prefect tasks that flows call (retries, caching and logging around that work)."""
