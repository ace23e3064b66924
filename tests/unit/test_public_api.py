"""The exported surface of `paid_dbapi` and `paid_sqlalchemy`, pinned: a name added, removed or
leaked into it fails here, so the surface changes only on purpose."""

from __future__ import annotations
import __future__

import importlib
import importlib.metadata
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import paid_dbapi
import paid_sqlalchemy

DBAPI_ALL = [
    "BINARY", "DATETIME", "NO_API_KEY", "NUMBER", "PRODUCTION_URL", "ROWID", "STRING", "Binary",
    "ColumnInfo", "Connection", "Cursor", "DataError", "DatabaseError", "Date", "DateFromTicks",
    "Error", "Extract", "IntegrityError", "InterfaceError", "InternalError", "NotSupportedError",
    "OperationalError", "PathInfo", "PrecisionWarning", "ProgrammingError", "SignalInfo", "Time",
    "TimeFromTicks", "Timestamp", "TimestampFromTicks", "TruncatedResultWarning", "ViewInfo",
    "Warning", "__version__", "apilevel", "connect", "paramstyle", "threadsafety",
]  # fmt: skip
#: Public names of `paid_dbapi` deliberately left out of `__all__` (helpers of its own modules
#: and of the CLI and dialect; `from paid_dbapi import *` does not bring them).
DBAPI_UNEXPORTED = [
    "Client", "DEFAULT_CONNECT_TIMEOUT", "DEFAULT_RETRY_BUDGET", "DEFAULT_TIMEOUT",
    "ROUTES_CHOICES", "check_api_key", "logger", "production_url",
]  # fmt: skip
SQLALCHEMY_ALL = ["PaidClickHouse", "PaidDemoDialect", "PaidDialect", "PaidHTTPDialect"]

PEP_249_EXCEPTIONS = {
    "Warning": Exception,
    "Error": Exception,
    "InterfaceError": "Error",
    "DatabaseError": "Error",
    "DataError": "DatabaseError",
    "OperationalError": "DatabaseError",
    "IntegrityError": "DatabaseError",
    "InternalError": "DatabaseError",
    "ProgrammingError": "DatabaseError",
    "NotSupportedError": "DatabaseError",
}
PEP_249_CONSTRUCTORS = [
    "Date", "Time", "Timestamp", "DateFromTicks", "TimeFromTicks", "TimestampFromTicks", "Binary",
]  # fmt: skip
PEP_249_TYPE_OBJECTS = ["STRING", "BINARY", "NUMBER", "DATETIME", "ROWID"]


def own_public_names(module: ModuleType) -> set[str]:
    """Names a user sees on `module` that come from the project: neither modules nor objects
    (classes, functions) of other packages, and not typing helpers."""
    names = set()
    for name, value in vars(module).items():
        if name.startswith("_") or isinstance(value, ModuleType):
            continue
        origin = getattr(value, "__module__", None)
        if callable(value) and origin and not origin.startswith(("paid_dbapi", "paid_sqlalchemy")):
            continue  # imported tools such as importlib's version()
        if name == "Any" or isinstance(value, __future__._Feature):
            continue  # typing, and `from __future__ import annotations`
        names.add(name)
    return names


def test_paid_dbapi_exports_exactly_its_surface() -> None:
    assert paid_dbapi.__all__ == DBAPI_ALL
    for name in paid_dbapi.__all__:
        assert hasattr(paid_dbapi, name), name
    public = own_public_names(paid_dbapi)
    assert sorted(public - set(DBAPI_ALL)) == DBAPI_UNEXPORTED


def test_paid_sqlalchemy_exports_exactly_its_dialects() -> None:
    assert paid_sqlalchemy.__all__ == SQLALCHEMY_ALL
    assert own_public_names(paid_sqlalchemy) == set(SQLALCHEMY_ALL)
    assert paid_sqlalchemy.PaidDialect.name == "paid"
    assert paid_sqlalchemy.PaidDialect.driver == "https"
    assert paid_sqlalchemy.PaidHTTPDialect.driver == "http"
    assert paid_sqlalchemy.PaidDemoDialect.driver == "demo"


def test_pep_249_module_globals() -> None:
    assert paid_dbapi.apilevel == "2.0"
    assert paid_dbapi.threadsafety == 2
    assert paid_dbapi.paramstyle == "pyformat"
    assert callable(paid_dbapi.connect)
    for name, base in PEP_249_EXCEPTIONS.items():
        parent = base if isinstance(base, type) else getattr(paid_dbapi, base)
        assert issubclass(getattr(paid_dbapi, name), parent), name
        # PEP 249's optional extension: the exceptions as attributes of the connection
        assert getattr(paid_dbapi.Connection, name) is getattr(paid_dbapi, name)
    for name in PEP_249_CONSTRUCTORS:
        assert callable(getattr(paid_dbapi, name)), name
    for name in PEP_249_TYPE_OBJECTS:
        assert getattr(paid_dbapi, name) is not None, name
    assert paid_dbapi.Binary(b"\x00") == b"\x00"
    assert str(paid_dbapi.Date(2026, 1, 2)) == "2026-01-02"


def test_importing_the_driver_loads_no_server() -> None:
    """`import paid_dbapi, paid_sqlalchemy` loads neither server nor their shared engine (the
    emulator is loaded on the first `connect(demo=True)`)."""
    program = (
        "import sys, paid_dbapi, paid_sqlalchemy; "
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('paid_'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "paid_dbapi._connection" in loaded
    assert "paid_sqlalchemy._dialect" in loaded
    servers = ("paid_dbapi.emulator", "paid_dbapi.gateway", "paid_dbapi.cli", "paid_dbapi._engine")
    assert [
        m for m in loaded if m in servers or m.startswith(tuple(s + "." for s in servers))
    ] == []


#: The modules a user may import by name. Everything else is private by name (a leading
#: underscore in the module or a package above it), as in httpx, and may change at any time.
PUBLIC_MODULES = [
    "paid_dbapi", "paid_dbapi.cli", "paid_dbapi.cli.__main__", "paid_dbapi.emulator",
    "paid_dbapi.gateway", "paid_sqlalchemy", "paid_sqlalchemy.superset",
]  # fmt: skip
SERVER_ALL = {
    "paid_dbapi.emulator": [
        "DEMO_BASE_URL", "Emulator", "ServerLimits", "default_emulator", "demo_keys",
        "demo_transport", "listen", "tty_status",
    ],
    "paid_dbapi.gateway": ["BindError", "ClickHouseError", "Gateway", "ServerLimits", "Upstream", "serve"],
}  # fmt: skip


def test_every_module_not_listed_as_public_is_private_by_name() -> None:
    root = Path(paid_dbapi.__file__).resolve().parents[1]
    modules = []
    for package in ("paid_dbapi", "paid_sqlalchemy"):
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            if not any(part.startswith("_") and part != "__main__" for part in parts):
                modules.append(".".join(parts))
    assert sorted(modules) == sorted(PUBLIC_MODULES)


def test_the_servers_export_exactly_their_surface() -> None:
    for name, exported in SERVER_ALL.items():
        module = importlib.import_module(name)
        assert sorted(module.__all__) == sorted(exported), name
        for attribute in exported:
            assert hasattr(module, attribute), f"{name}.{attribute}"


def test_entry_points_name_public_objects_that_load() -> None:
    """Console scripts and plug-in entry points resolve, and the dialects come from the public
    package, so a private rename cannot break `create_engine("paid://...")`."""
    groups = ("console_scripts", "sqlalchemy.dialects", "superset.db_engine_specs")
    found = {
        (ep.group, ep.name): ep
        for ep in importlib.metadata.distribution("paid-dbapi").entry_points
        if ep.group in groups
    }
    assert sorted(found) == sorted(
        [("console_scripts", n) for n in ("paid-emulator", "paid-gateway", "paid-sql")]
        + [("sqlalchemy.dialects", n) for n in ("paid", "paid.demo", "paid.http", "paid.https")]
        + [("superset.db_engine_specs", "paid")]
    )
    for (group, _), ep in found.items():
        if group == "sqlalchemy.dialects":
            assert ep.module == "paid_sqlalchemy"
            assert ep.load() in (
                paid_sqlalchemy.PaidDialect,
                paid_sqlalchemy.PaidHTTPDialect,
                paid_sqlalchemy.PaidDemoDialect,
            )
        elif group == "console_scripts":
            assert callable(ep.load())
