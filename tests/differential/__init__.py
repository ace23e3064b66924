"""Differential tests: the driver's values against ClickHouse's own, through an independent path.

`examples(n)` scales every property test here and in the literal round trip: set
`PAID_TEST_EXAMPLES` (a multiplier, e.g. 50) and `--timeout=0` for a long run.
"""

from __future__ import annotations

import os

SCALE = float(os.environ.get("PAID_TEST_EXAMPLES", "1"))


def examples(n: int) -> int:
    """`n` examples in CI, `n * PAID_TEST_EXAMPLES` in a long run."""
    return max(1, round(n * SCALE))
