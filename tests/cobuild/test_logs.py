"""Log records go to the stderr of the moment they are emitted."""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest

from cobuild.logs import configure_logging, get_logger
from cobuild.settings import Settings


def test_a_log_after_stderr_was_swapped_and_closed_reaches_the_new_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = logging.getLogger().handlers[:], logging.getLogger().level
    configured_with = io.StringIO()
    monkeypatch.setattr(sys, "stderr", configured_with)
    configure_logging(Settings(log_format="json", log_level="INFO"))
    configured_with.close()  # as a runner closes its capture once done
    later = io.StringIO()
    monkeypatch.setattr(sys, "stderr", later)
    try:
        get_logger("tests.logs").info("after.swap", rows=3)
        event = json.loads(later.getvalue())
        assert (event["event"], event["rows"], event["level"]) == ("after.swap", 3, "info")
    finally:
        logging.getLogger().handlers[:], level = before
        logging.getLogger().setLevel(level)
