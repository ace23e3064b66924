"""`paid-gateway`: the Analytics API behind ClickHouse's HTTP interface.

Metabase, Grafana, DBeaver, clickhouse-connect, the Node client and any other ClickHouse
client connect to it; each query over the views becomes one POST /query with the client's
password as the API key, and metadata is answered from a local mirror of GET /schema.
"""

from __future__ import annotations

from .._engine.server_limits import ServerLimits
from ._app import Gateway
from ._clickhouse_errors import ClickHouseError
from ._server import BindError, serve
from ._upstream import Upstream

__all__ = ["BindError", "ClickHouseError", "Gateway", "ServerLimits", "Upstream", "serve"]
