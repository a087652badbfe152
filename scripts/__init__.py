"""Maintenance scripts (run as ``python3 -m uv run python scripts/<name>.py``)."""
