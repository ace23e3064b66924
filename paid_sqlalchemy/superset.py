"""Superset engine spec for the Paid Analytics API (registered as `paid`; needs Superset).

"+ Database" offers Paid with a parameters form (API key, optional host/port/SSL or API URL,
URL options such as the route set); the key lives in the URI's password slot, which Superset
encrypts and shows masked. Time grains use ClickHouse's `toStartOf...` functions, temporal
literals follow the column's ClickHouse type (parsed by the driver's own parser), and SQL
Lab's sqlglot round trip uses a ClickHouse dialect that keeps those functions as written.
"""

from __future__ import annotations

import re
import socket
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from marshmallow import Schema, fields, pre_load  # type: ignore[import-not-found]
from marshmallow.validate import Range  # type: ignore[import-not-found]
from sqlalchemy import types
from sqlalchemy.engine import URL, make_url
from superset.constants import TimeGrain  # type: ignore[import-not-found]
from superset.db_engine_specs.base import BaseEngineSpec  # type: ignore[import-not-found]
from superset.errors import (  # type: ignore[import-not-found]
    ErrorLevel,
    SupersetError,
    SupersetErrorType,
)
from superset.utils.core import GenericDataType  # type: ignore[import-not-found]

from paid_dbapi._client import check_api_key, is_loopback
from paid_dbapi._exceptions import InterfaceError
from paid_dbapi._routes import PRODUCTION_HOST, ROUTES_CHOICES
from paid_dbapi._types import parse_type
from paid_dbapi._urls import connect_args_from_url

from ._sqlglot_dialect import PaidClickHouse


def _type(pattern: str) -> re.Pattern[str]:
    """A ClickHouse type pattern that also matches inside LowCardinality/Nullable."""
    return re.compile(r"^(?:LowCardinality\()?(?:Nullable\()?" + pattern, re.I)


def _register_sqlglot_dialect() -> None:
    """Make SQL Lab parse `paid` databases with PaidClickHouse (config may override it)."""
    try:
        from superset.sql.parse import SQLGLOT_DIALECTS  # type: ignore[import-not-found]
    except ImportError:  # older Superset: use the SQLGLOT_DIALECTS_EXTENSIONS config line
        return
    SQLGLOT_DIALECTS.setdefault("paid", PaidClickHouse)


#: seconds the form's reachability check waits for a TCP connection
PORT_CHECK_TIMEOUT = 3.0
#: the user name in the URI; the server ignores it, the key sits in the password slot
TOKEN_USER = "token"


class PaidParametersSchema(Schema):  # type: ignore[misc]
    """The "Connect a database" form; field names are ones Superset's form knows how to draw."""

    access_token = fields.String(
        required=True,
        metadata={"description": "Your organization's Paid API key (kept encrypted, shown masked)"},
    )
    host = fields.String(
        load_default="",
        metadata={"description": (
            "Optional API host, empty for the Paid service; or a whole API URL such as "
            "http://127.0.0.1:8080 for paid-emulator serve"
        )},
    )  # fmt: skip
    port = fields.Integer(
        load_default=None, allow_none=True, validate=Range(min=1, max=65535),
        metadata={"description": "Optional port (default 443 for HTTPS)"},
    )  # fmt: skip
    encryption = fields.Boolean(
        load_default=None, allow_none=True,
        metadata={"description": "HTTPS; off means plain HTTP, allowed only to a loopback host"},
    )  # fmt: skip
    query = fields.Dict(
        keys=fields.String(), values=fields.Raw(), load_default=dict,
        metadata={"description": (
            "URL options, e.g. routes=stable or routes=experimental (route set; default auto)"
        )},
    )  # fmt: skip

    @pre_load  # type: ignore[untyped-decorator]
    def _drop_blanks(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        """The form sends an emptied field as "" (or null): treat it as not given."""
        return {k: v.strip() if isinstance(v, str) else v for k, v in data.items()
                if v is not None and v != ""}  # fmt: skip


def _endpoint(parameters: dict[str, Any]) -> tuple[str, str, int | None, str]:
    """(scheme, host, port, path) the form describes; an empty host is the Paid service.

    The host field may hold a whole URL, whose scheme wins over the SSL switch. With the
    switch left alone (None), a loopback host gets plain HTTP and any other host HTTPS.
    """
    host = str(parameters.get("host") or "").strip()
    port = parameters.get("port")
    port = int(port) if port not in (None, "") else None
    encryption = parameters.get("encryption")
    path = ""
    if "://" in host:
        parts = urlsplit(host)
        scheme = parts.scheme.lower()
        host, path = parts.hostname or "", parts.path.rstrip("/")
        port = parts.port or port
    elif host:
        if host.count(":") == 1:  # host:port typed into the host field
            host, _, text = host.partition(":")
            port = int(text) if text.isdigit() else port
        scheme = "https" if encryption or (encryption is None and not is_loopback(host)) else "http"
    else:
        scheme = "https" if encryption is not False else "http"
    return scheme, host, port, path


def _plain_error(
    message: str, kind: str, fields_: list[str], level: str = "ERROR", key: str = "invalid"
) -> Any:
    """A SupersetError that names the form fields to mark (extra invalid/missing)."""
    return SupersetError(
        message=message,
        error_type=getattr(SupersetErrorType, kind),
        level=getattr(ErrorLevel, level),
        extra={key: fields_, "engine_name": PaidEngineSpec.engine_name},
    )


class PaidEngineSpec(BaseEngineSpec):  # type: ignore[misc]
    """The Paid Analytics API: read-only ClickHouse SQL over HTTPS."""

    engine = "paid"
    engine_name = "Paid Analytics"
    sqlalchemy_uri_placeholder = "paid://token:<API_KEY>@"
    default_driver = "https"
    parameters_schema = PaidParametersSchema()
    # ClickHouse resolves a SELECT alias before a same-named column in WHERE/GROUP BY.
    allows_alias_to_source_column = False
    supports_file_upload = False
    disable_ssh_tunneling = True

    _time_grain_expressions = {  # noqa: RUF012 - Superset's attribute
        None: "{col}",
        TimeGrain.SECOND: "toStartOfInterval(toDateTime({col}), INTERVAL 1 SECOND)",
        TimeGrain.MINUTE: "toStartOfMinute(toDateTime({col}))",
        TimeGrain.FIVE_MINUTES: "toStartOfFiveMinutes(toDateTime({col}))",
        TimeGrain.TEN_MINUTES: "toStartOfTenMinutes(toDateTime({col}))",
        TimeGrain.FIFTEEN_MINUTES: "toStartOfFifteenMinutes(toDateTime({col}))",
        TimeGrain.THIRTY_MINUTES: "toStartOfInterval(toDateTime({col}), INTERVAL 30 MINUTE)",
        TimeGrain.HOUR: "toStartOfHour(toDateTime({col}))",
        TimeGrain.DAY: "toStartOfDay(toDateTime({col}))",
        TimeGrain.WEEK: "toStartOfWeek(toDateTime({col}), 1)",
        TimeGrain.MONTH: "toStartOfMonth(toDateTime({col}))",
        TimeGrain.QUARTER: "toStartOfQuarter(toDateTime({col}))",
        TimeGrain.YEAR: "toStartOfYear(toDateTime({col}))",
    }

    column_type_mappings = (
        (_type(r"Date(?:32)?\b"), types.Date(), GenericDataType.TEMPORAL),
        (_type(r"DateTime(?:32|64)?\b"), types.DateTime(), GenericDataType.TEMPORAL),
        (_type(r"U?Int(?:8|16|32|64|128|256)\b"), types.BigInteger(), GenericDataType.NUMERIC),
        (_type(r"(?:Float|BFloat|Decimal)"), types.Numeric(), GenericDataType.NUMERIC),
        (_type(r"Bool\b"), types.Boolean(), GenericDataType.BOOLEAN),
        (_type(r"(?:String|FixedString|Enum|UUID|IPv)"), types.String(), GenericDataType.STRING),
    )

    @staticmethod
    def _mutate_label(label: str) -> str:
        """Suffix every label so it can never equal a source column name.

        ClickHouse resolves a SELECT alias before a same-named column anywhere in the query,
        so `toStartOfMonth(created_at) AS created_at ... GROUP BY toStartOfMonth(created_at)`
        would group by the alias. Superset renames result columns back to the expected labels.
        """
        return f"{label}__"

    # what the driver says, in the form's words (messages never hold the key)
    custom_errors = {  # noqa: RUF012 - Superset's attribute
        re.compile(r"\[INVALID_API_KEY\]|HTTP 40[13]\b"): (
            "The API key was rejected: check that it is your organization's current Paid API key.",
            SupersetErrorType.CONNECTION_ACCESS_DENIED_ERROR,
            {"invalid": ["access_token"]},
        ),
        re.compile(r"no API key"): (
            "Enter your organization's Paid API key.",
            SupersetErrorType.CONNECTION_MISSING_PARAMETERS_ERROR,
            {"missing": ["access_token"]},
        ),
        re.compile(r"refusing plain HTTP to (?P<target>[^:\s]+)"): (
            "Plain HTTP to %(target)s would send the API key unencrypted: turn SSL on "
            "(plain HTTP is allowed only to a loopback host such as 127.0.0.1).",
            SupersetErrorType.CONNECTION_INVALID_HOSTNAME_ERROR,
            {"invalid": ["encryption", "host"]},
        ),
        re.compile(r"Name or service not|nodename nor servname|getaddrinfo|failure in name"): (
            "The host %(hostname)s can't be found: check the host name.",
            SupersetErrorType.CONNECTION_INVALID_HOSTNAME_ERROR,
            {"invalid": ["host"]},
        ),
        re.compile(r"Connection refused|timed out|ConnectTimeout|unreachable"): (
            "Nothing answers at %(hostname)s: check the host, the port and that the service runs.",
            SupersetErrorType.CONNECTION_HOST_DOWN_ERROR,
            {"invalid": ["host", "port"]},
        ),
    }

    @classmethod
    def build_sqlalchemy_uri(
        cls, parameters: dict[str, Any], encrypted_extra: dict[str, Any] | None = None
    ) -> str:
        """`paid://token:KEY@host:port/path?options` (`paid+http://` for plain HTTP)."""
        scheme, host, port, path = _endpoint(parameters)
        query = {str(k): str(v) for k, v in (parameters.get("query") or {}).items()}
        url = URL.create(
            "paid" if scheme == "https" else "paid+http",
            username=TOKEN_USER,
            password=str(parameters.get("access_token") or "").strip() or None,
            host=host or None,
            port=port,
            database=path.lstrip("/") or None,
            query=query,
        )
        return url.render_as_string(hide_password=False)

    @classmethod
    def get_parameters_from_uri(
        cls, uri: str, encrypted_extra: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The form's fields for a URI (Superset passes the masked one when editing)."""
        url = make_url(uri)
        https = url.drivername != "paid+http"
        host = url.host or ""
        port = url.port
        if url.database:  # a path of its own: show the whole API URL in the host field
            netloc = f"{host}:{port}" if port else host
            host, port = f"{'https' if https else 'http'}://{netloc}/{url.database}", None
        return {
            "access_token": url.password,
            "host": host,
            "port": port,
            "encryption": https,
            "query": {k: v if isinstance(v, str) else v[-1] for k, v in url.query.items()},
        }

    @classmethod
    def validate_parameters(cls, properties: dict[str, Any]) -> list[Any]:
        """Progressive checks for the form: key present and well formed, options known,
        no plain HTTP beyond loopback, host resolvable and answering. Superset then tries a
        real connection, where a rejected key is reported (see `custom_errors`)."""
        parameters = dict(properties.get("parameters") or {})
        errors: list[Any] = []
        key = str(parameters.get("access_token") or "").strip()
        if not key:
            errors.append(_plain_error("Enter your organization's Paid API key.",
                                       "CONNECTION_MISSING_PARAMETERS_ERROR", ["access_token"],
                                       level="WARNING", key="missing"))  # fmt: skip
        else:
            try:
                check_api_key(key)
            except InterfaceError as error:
                errors.append(_plain_error(
                    f"The API key looks wrong: {error.args[0]}.",
                    "CONNECTION_INVALID_PASSWORD_ERROR", ["access_token"],
                ))  # fmt: skip
        try:
            scheme, host, port, _path = _endpoint(parameters)
        except ValueError:
            errors.append(_plain_error("The host is not a valid host name or API URL.",
                                       "CONNECTION_INVALID_HOSTNAME_ERROR", ["host"]))  # fmt: skip
            return errors
        uri = cls.build_sqlalchemy_uri({**parameters, "access_token": "checking"})
        try:
            connect_args_from_url(uri, {"schema_cache_ttl": float})
        except InterfaceError as error:
            errors.append(_plain_error(
                f"Additional parameters: {error.args[0]} (the route set is routes="
                f"{'|'.join(ROUTES_CHOICES)}).", "CONNECTION_INVALID_PORT_ERROR", ["query"],
            ))  # fmt: skip
        if scheme not in ("http", "https"):
            errors.append(_plain_error(
                "The API URL must start with https:// (or http:// to a loopback host).",
                "CONNECTION_INVALID_HOSTNAME_ERROR", ["host"],
            ))  # fmt: skip
            return errors
        if scheme == "http" and not is_loopback(host or "api.agentpaid.io"):
            errors.append(_plain_error(
                f"Plain HTTP to {host or 'the Paid service'} would send the API key unencrypted: "
                "turn SSL on (plain HTTP is allowed only to a loopback host such as 127.0.0.1).",
                "CONNECTION_INVALID_HOSTNAME_ERROR", ["encryption", "host"],
            ))  # fmt: skip
            return errors
        target = host or urlsplit(PRODUCTION_HOST).hostname or ""
        port = port or (443 if scheme == "https" else 80)
        try:
            addresses = socket.getaddrinfo(target, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            errors.append(_plain_error(f"The host {target} can't be found: check the host name.",
                                       "CONNECTION_INVALID_HOSTNAME_ERROR", ["host"]))  # fmt: skip
            return errors
        if not any(_answers(str(a[4][0]), int(a[4][1])) for a in addresses):
            errors.append(_plain_error(
                f"Nothing answers at {target}:{port}: check the host, the port and that the "
                "service runs.", "CONNECTION_HOST_DOWN_ERROR", ["host", "port"],
            ))  # fmt: skip
        return errors

    @classmethod
    def parameters_json_schema(cls) -> Any:
        """The form's fields as OpenAPI, which Superset's "+ Database" dialog draws."""
        from apispec import APISpec  # type: ignore[import-not-found]
        from apispec.ext.marshmallow import MarshmallowPlugin  # type: ignore[import-not-found]

        spec = APISpec(title="Database Parameters", version="1.0.0", openapi_version="3.0.2",
                       plugins=[MarshmallowPlugin()])  # fmt: skip
        spec.components.schema(cls.__name__, schema=cls.parameters_schema)
        return spec.to_dict()["components"]["schemas"][cls.__name__]

    @classmethod
    def epoch_to_dttm(cls) -> str:
        return "toDateTime({col})"

    @classmethod
    def epoch_ms_to_dttm(cls) -> str:
        return "fromUnixTimestamp64Milli(toInt64({col}))"

    @classmethod
    def convert_dttm(
        cls, target_type: str, dttm: datetime, db_extra: dict[str, Any] | None = None
    ) -> str | None:
        """A literal of the column's own temporal type (Nullable/LowCardinality unwrapped)."""
        try:
            base = parse_type(target_type).base
        except ValueError:
            return None
        zone = f", '{base.timezone}'" if base.timezone else ""
        if base.name in ("Date", "Date32"):
            return f"to{base.name}('{dttm.date().isoformat()}')"
        if base.name in ("DateTime", "DateTime32"):
            return f"toDateTime('{dttm.strftime('%Y-%m-%d %H:%M:%S')}'{zone})"
        if base.name == "DateTime64":
            return (
                f"toDateTime64('{dttm.strftime('%Y-%m-%d %H:%M:%S.%f')}', {base.precision}{zone})"
            )
        return None


def _answers(host: str, port: int) -> bool:
    """Whether a TCP connection to the address opens within PORT_CHECK_TIMEOUT."""
    try:
        socket.create_connection((host, port), timeout=PORT_CHECK_TIMEOUT).close()
    except OSError:
        return False
    return True


_register_sqlglot_dialect()
