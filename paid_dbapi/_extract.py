"""Large extracts past the service's row cap, by keyset pagination on columns you name.

The service cuts every result at its row cap and recommends paging with WHERE on an ordered
key. `Extract` wraps your single-SELECT query, unchanged, as a subquery:

    SELECT * FROM (<your query>) WHERE (k1, k2) >= (<last key>) ORDER BY k1, k2 LIMIT n

so rows come back in key order, each exactly once, until the end. The key must be unique:
a key tuple seen on two rows is refused with ProgrammingError instead of risking a silently
skipped row at a page boundary.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ._connection import Connection
from ._cursor import Description, Row
from ._exceptions import ProgrammingError
from ._literals import bind_parameters, quote_identifier, render_literal

logger = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 10_000


def _check_query(sql: str) -> None:
    """Refuse what keyset pagination cannot page safely (sqlglot reads, never rewrites)."""
    import sqlglot  # here, not at the top: `import paid_dbapi` stays free of the parser
    from sqlglot import exp
    from sqlglot.errors import ParseError, SqlglotError

    try:
        statements = [s for s in sqlglot.parse(sql, read="clickhouse") if s is not None]
    except SqlglotError as exc:
        where = ""
        if isinstance(exc, ParseError) and exc.errors:
            first = exc.errors[0]
            where = f" at line {first['line']}, column {first['col']}, near {first['highlight']!r}"
        raise ProgrammingError(f"cannot page this query: it does not parse{where}") from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Select):
        raise ProgrammingError("paging needs exactly one SELECT statement")
    select = statements[0]
    if select.args.get("limit") or select.args.get("offset"):
        raise ProgrammingError("remove LIMIT/OFFSET: the extract pages the whole result itself")
    if select.args.get("order"):
        raise ProgrammingError("remove ORDER BY: rows come back ordered by the key")


class Extract:
    """Iterate over every row of `sql`, page by page on `key`; `description` after the start."""

    def __init__(
        self,
        connection: Connection,
        sql: str,
        key: Sequence[str],
        *,
        params: Sequence[Any] | Mapping[str, Any] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> None:
        if not key:
            raise ProgrammingError("name at least one key column, e.g. created_at,signal_id")
        if page_size < 2:
            raise ProgrammingError("page_size must be at least 2")
        self.sql = bind_parameters(sql, params).strip().rstrip(";")
        _check_query(self.sql)
        self.connection = connection
        self.key = list(key)
        self.page_size = page_size
        self.description: tuple[Description, ...] | None = None
        #: Number of requests made so far.
        self.pages = 0
        #: Decimal columns that, on any page, held values the service's double may have
        #: rounded (see `Cursor.imprecise_columns`).
        self.imprecise_columns: set[str] = set()

    def _page_sql(self, last: tuple[Any, ...] | None, limit: int) -> str:
        columns = ", ".join(quote_identifier(k) for k in self.key)
        where = ""
        if last is not None:
            values = ", ".join(render_literal(v) for v in last)
            where = f"\nWHERE ({columns}) >= ({values})"
        return (
            f"SELECT * FROM (\n{self.sql}\n) AS extract_source{where}\n"
            f"ORDER BY {columns}\nLIMIT {limit}"
        )

    def _check_key_selected(self) -> None:
        """After a refused first page, say so when the cause is a key column not selected
        (the server's own error would only show the wrapping query)."""
        cursor = self.connection.cursor()
        try:
            cursor.execute(f"SELECT * FROM (\n{self.sql}\n) AS extract_source LIMIT 0")
        except ProgrammingError as own:
            raise own from None  # the query's own error, not the first page's
        assert cursor.description is not None
        names = [d[0] for d in cursor.description]
        missing = [k for k in self.key if k not in names]
        if missing:
            raise ProgrammingError(
                f"the key column(s) {', '.join(missing)} must be in the query's SELECT list "
                f"(it selects {', '.join(names)})",
                code="KEY_NOT_SELECTED",
            ) from None

    def _key_positions(self, description: tuple[Description, ...]) -> list[int]:
        names = [d[0] for d in description]
        positions = []
        for column in self.key:
            position = names.index(column)  # the server already refused an unknown column
            if description[position][6]:
                raise ProgrammingError(
                    f"key column {column!r} may be NULL; NULL keys cannot be paged"
                )
            positions.append(position)
        return positions

    def __iter__(self) -> Iterator[Row]:
        cursor = self.connection.cursor()
        cursor.on_truncation = "ignore"  # a cut page is a correct prefix in key order
        last: tuple[Any, ...] | None = None
        limit = self.page_size
        positions: list[int] = []
        while True:
            try:
                cursor.execute(self._page_sql(last, limit + (last is not None)))
            except ProgrammingError:
                if self.description is None:
                    self._check_key_selected()
                raise
            self.pages += 1
            if self.description is None:
                assert cursor.description is not None
                self.description = cursor.description
                positions = self._key_positions(cursor.description)
            rows = cursor.fetchall()
            self.imprecise_columns.update(cursor.imprecise_columns)
            if cursor.truncated:  # the server's cap is below our page size: adopt it
                limit = max(1, len(rows) - 1)
            keys = [tuple(row[p] for p in positions) for row in rows]
            for previous, current in itertools.pairwise(keys):
                if previous == current:
                    raise ProgrammingError(
                        f"the key ({', '.join(self.key)}) is not unique: several rows share "
                        f"{current!r}; add a tie-breaking column such as an id"
                    )
            start = 0
            if last is not None:
                if not keys or keys[0] != last:
                    raise ProgrammingError(
                        "the data changed under the extract (the last row seen is gone)"
                    )
                start = 1
            yield from rows[start:]
            fetched = len(rows) - start
            if fetched == 0 or (not cursor.truncated and len(rows) < limit + start):
                return
            last = keys[-1]
            logger.debug("extract page %d done, %d rows", self.pages, fetched)
