"""Connection limits are checked when they are set (their effect on real servers:
tests/integration/engine/test_serving.py)."""

from __future__ import annotations

import pytest

from paid_dbapi._engine.server_limits import ServerLimits


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="header_timeout must be positive"):
        ServerLimits(header_timeout=0)
