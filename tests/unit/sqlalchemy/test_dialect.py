"""The SQLAlchemy dialect without a server: URL forms, masked keys, bad options, entry points
and type mapping, on SQLAlchemy 1.4 and 2.x alike."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import exc

import paid_dbapi
from paid_sqlalchemy._dialect import PaidDialect
from paid_sqlalchemy._types import from_type_string

SA2 = sa.__version__.startswith("2.")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("paid://", {}),
        ("paid://token:KEY@", {"api_key": "KEY"}),
        ("paid://token:KEY@api.example.com:8443/custom", {"api_key": "KEY", "base_url": "https://api.example.com:8443/custom"}),
        ("paid+https://token:KEY@api.example.com", {"api_key": "KEY", "base_url": "https://api.example.com/api/v2/analytics"}),
        ("paid+http://token:KEY@127.0.0.1:8080", {"api_key": "KEY", "base_url": "http://127.0.0.1:8080/api/v2/analytics"}),
        ("paid+demo://", {"demo": True}),
        ("paid+demo://?org=globex", {"demo": True, "demo_org": "globex"}),
        ("paid://token:K@h?timeout=5&connect_timeout=1&read_timeout=9&max_retries=2&on_truncation=error",
         {"api_key": "K", "base_url": "https://h/api/v2/analytics", "timeout": 5.0,
          "connect_timeout": 1.0, "read_timeout": 9.0, "max_retries": 2, "on_truncation": "error"}),
    ],
)  # fmt: skip
def test_url_forms(url: str, expected: dict[str, Any]) -> None:
    eng = sa.create_engine(url)
    args, kwargs = eng.dialect.create_connect_args(eng.url)
    assert (args, kwargs) == ([], expected)


def test_key_is_masked_in_url_reprs() -> None:
    eng = sa.create_engine("paid://token:SECRET_KEY_123@api.example.com")
    assert "SECRET_KEY_123" not in repr(eng)
    assert "SECRET_KEY_123" not in repr(eng.url)
    assert "SECRET_KEY_123" not in eng.url.render_as_string()


@pytest.mark.parametrize(
    ("url", "fragment"),
    [("paid://token:SECRET@h?timeout=abc", "'timeout'"), ("paid://token:SECRET@h?max_retries=-1", "'max_retries'"),
     ("paid://token:SECRET@h?on_truncation=maybe", "'on_truncation'"), ("paid://token:SECRET@h?nope=1", "'nope'"),
     ("paid+http://token:SECRET@example.com", "plain HTTP"), ("paid+demo://?schema_cache_ttl=x", "schema_cache_ttl")],
)  # fmt: skip
def test_bad_url_options_name_the_option_not_the_key(url: str, fragment: str) -> None:
    with pytest.raises((paid_dbapi.InterfaceError, exc.InterfaceError)) as info:
        sa.create_engine(url).connect()
    assert fragment in str(info.value)
    assert "SECRET" not in str(info.value)


def test_entry_points_and_classes() -> None:
    for url, driver in [
        ("paid://", "https"),
        ("paid+http://token:k@127.0.0.1", "http"),
        ("paid+demo://", "demo"),
    ]:
        dialect = sa.create_engine(url).dialect
        assert isinstance(dialect, PaidDialect)
        assert (dialect.name, dialect.driver) == ("paid", driver)
        assert type(dialect).supports_statement_cache is True
        assert type(dialect).import_dbapi() is paid_dbapi
        assert type(dialect).dbapi() is paid_dbapi


@pytest.mark.parametrize(
    ("text", "cls", "extra"),
    [("UInt8", sa.SmallInteger, {}), ("Int32", sa.Integer, {}), ("UInt32", sa.BigInteger, {}), ("Int64", sa.BigInteger, {}),
     ("UInt256", sa.BigInteger, {}), ("Float32", sa.Float, {}), ("Decimal(38, 10)", sa.Numeric, {"precision": 38, "scale": 10}),
     ("LowCardinality(Nullable(String))", sa.String, {}), ("FixedString(3)", sa.String, {}), ("Date32", sa.Date, {}),
     ("DateTime64(3, 'UTC')", sa.DateTime, {"timezone": True}), ("DateTime", sa.DateTime, {"timezone": False}),
     ("Bool", sa.Boolean, {}), ("Array(Int64)", sa.ARRAY, {}), ("JSON", sa.JSON, {}), ("Map(String, UInt8)", sa.JSON, {}),
     ("Enum8('a' = 1)", sa.String, {}), ("IntervalSecond", sa.Interval, {}), ("Time64(3)", sa.Interval, {}),
     ("IntervalMonth", sa.Integer, {})],
)  # fmt: skip
def test_type_mapping(text: str, cls: type[Any], extra: dict[str, Any]) -> None:
    mapped = from_type_string(text)
    assert isinstance(mapped, cls)
    for key, value in extra.items():
        assert getattr(mapped, key) == value


def test_uuid_type_by_version() -> None:
    mapped = from_type_string("UUID")
    assert type(mapped).__name__ == ("Uuid" if SA2 else "String")


def test_unknown_type_is_nulltype_with_warning() -> None:
    with pytest.warns(UserWarning, match="Geometry9"):
        assert isinstance(from_type_string("Geometry9"), sa.types.NullType)
    with pytest.warns(UserWarning, match="unparseable"):
        assert isinstance(from_type_string("Array("), sa.types.NullType)
