"""PEP 249 module globals and the version, read from the package (end to end behaviour:
tests/integration/driver/test_dbapi.py)."""

from __future__ import annotations

import datetime as dt
import importlib.metadata

import paid_dbapi


def test_module_globals() -> None:
    assert (paid_dbapi.apilevel, paid_dbapi.threadsafety, paid_dbapi.paramstyle) == (
        "2.0",
        2,
        "pyformat",
    )
    for name in ["Warning", "Error", "InterfaceError", "DatabaseError", "DataError", "OperationalError",
                 "IntegrityError", "InternalError", "ProgrammingError", "NotSupportedError"]:  # fmt: skip
        assert issubclass(getattr(paid_dbapi, name), Exception)
        assert getattr(paid_dbapi.Connection, name) is getattr(paid_dbapi, name)
    assert issubclass(paid_dbapi.ProgrammingError, paid_dbapi.DatabaseError)
    assert issubclass(paid_dbapi.DatabaseError, paid_dbapi.Error)
    assert paid_dbapi.Binary(b"x") == b"x"
    assert paid_dbapi.DateFromTicks(0) == dt.date.fromtimestamp(0)


def test_version_comes_from_the_package_metadata() -> None:
    assert paid_dbapi.__version__ == importlib.metadata.version("paid-dbapi")
    assert paid_dbapi.__version__[0].isdigit()
