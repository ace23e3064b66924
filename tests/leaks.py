"""Finding an API key where it must not be: generated keys that carry a mark no message can
contain by chance, every log record at DEBUG, and every text an exception can show."""

from __future__ import annotations

import logging
import string
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

from hypothesis import strategies as st

KEY_CHARS = string.ascii_letters + string.digits + "_-"
#: Woven through every generated key: no message, name or log line contains it, so finding
#: it in a text is a leak, never a coincidence (a random key part may spell "InterfaceErr").
MARK = "Qz7Jq"


def marked(alphabet: str) -> st.SearchStrategy[str]:
    """Keys of random runs of 1 to 4 characters, each between two marks: any 13 consecutive
    characters of such a key hold a whole mark, so a leak of that much is always seen."""
    runs = st.lists(st.text(alphabet, min_size=1, max_size=4), min_size=2, max_size=6)
    return runs.map(lambda texts: MARK + MARK.join(texts) + MARK)


class Records(logging.Handler):
    """Every log record of every logger, formatted with its arguments."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(record.getMessage())


@contextmanager
def debug_log() -> Iterator[Records]:
    """Capture all logging at DEBUG (httpx, httpcore, the driver) for the block."""
    root = logging.getLogger()
    handler, level = Records(), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def texts_of(exc: BaseException) -> list[str]:
    """Everything a user or a log could show of an exception, its chain included."""
    return [str(exc), repr(exc), repr(exc.args), "".join(traceback.format_exception(exc))]


def assert_absent(texts: list[str]) -> None:
    """No text shows a key, nor any 13 consecutive characters of one."""
    for text in texts:
        assert MARK not in text
