"""Plain-words error messages from ClickHouse's errors: position, excerpt, no parser internals.

ClickHouse's own texts name internal grammar rules and echo the statement that wrapped the
query; these helpers keep what a user needs (where, near which text, what was expected).
"""

from __future__ import annotations

import difflib
import re

#: ClickHouse's "Code: 62. DB::Exception: " prefixes and " (SYNTAX_ERROR)" suffix.
_CODE = re.compile(r"^(?:(?:Code: \d+\. )?DB::\w*Exception: )+|\s*\([A-Z_0-9]+\)\.?\s*$", re.I)
_POSITION = re.compile(
    r"^(?:(?P<reason>[^:]*?): )?Syntax error(?P<multi> \(Multi-statements are not allowed\))?: "
    r"failed at position (?P<pos>\d+)(?: \((?P<token>.*?)\))?:"
)
_EXPECTED = re.compile(r"Expected (?:one of: )?(?P<items>.*?)(?:: In scope |\. \(|$)", re.S)
_KEYWORD = re.compile(r"^[A-Z][A-Z ]*[A-Z]$")
_KEYWORD_TEXT = """SELECT WITH FROM WHERE HAVING LIMIT JOIN UNION AS ON AND OR NOT DISTINCT CASE
WHEN THEN ELSE END OFFSET BETWEEN LIKE INTERVAL EXCEPT INTERSECT GROUP ORDER BY"""
_KEYWORDS = _KEYWORD_TEXT.split()


def syntax_error(sql: str, clickhouse: str) -> tuple[str, str, str]:
    """(API code, message, details) for ClickHouse's refusal to parse `sql`."""
    if "Maximum parse depth" in clickhouse or "TOO_DEEP" in clickhouse:
        return "SYNTAX_ERROR", "the query is nested too deeply", ""
    if "Max query size exceeded" in clickhouse:
        return "BAD_REQUEST", "the query is too long", ""
    clickhouse = _CODE.sub("", clickhouse.strip())
    match = _POSITION.search(clickhouse)
    if match is None:
        return "SYNTAX_ERROR", "syntax error", ""
    line, column, excerpt = locate(sql, int(match.group("pos")))
    where = f"line {line}, column {column}"
    if match.group("multi"):
        return (
            "MULTIPLE_STATEMENTS", "only one statement per request is allowed",
            f"a second statement follows at {where}:\n{excerpt}",
        )  # fmt: skip
    token = (match.group("token") or "").strip()
    reason = (match.group("reason") or "").strip()
    message = f"syntax error at {where}"
    if reason:
        message += f": {reason[0].lower()}{reason[1:]}"
    elif token and token != "end of query":
        message += f" near {token.split()[0][:40]!r}"
    elif token:
        message += ": unexpected end of query"
    details = [excerpt]
    word = token.split()[0].upper() if token.split() else ""
    guess = difflib.get_close_matches(word, _KEYWORDS, n=1, cutoff=0.75)
    if guess and guess[0] != word:
        details.append(f"did you mean {guess[0]}?")
    expected = _expected(clickhouse)
    if line == column == 1:
        details.append("a query starts with SELECT or WITH")
    elif expected:
        details.append("expected " + expected)
    return "SYNTAX_ERROR", message, "\n".join(details)


def locate(sql: str, position: int) -> tuple[int, int, str]:
    """Line and column (from 1) of ClickHouse's 1-based byte `position`, with a caret excerpt."""
    before = sql.encode("utf-8")[: max(position - 1, 0)].decode("utf-8", "ignore")
    line = before.count("\n") + 1
    column = len(before) - (before.rfind("\n") + 1) + 1
    text = sql.split("\n")[line - 1] if line <= sql.count("\n") + 1 else ""
    start = max(0, column - 60)
    shown = text[start : start + 100].replace("\t", " ")
    return line, column, f"{shown}\n{' ' * (column - 1 - start)}^"


def _expected(clickhouse: str) -> str:
    """ClickHouse's list of expected tokens, keywords only (no internal grammar names)."""
    match = _EXPECTED.search(clickhouse)
    if match is None:
        return ""
    items = [item.strip() for item in match.group("items").split(",")]
    keywords = [item for item in items if _KEYWORD.match(item)]
    if "end of query" in items:
        keywords.append("the end of the query")
    if not keywords:
        return ""
    return ("one of " if len(keywords) > 1 else "") + ", ".join(keywords[:10])


_SCOPE = re.compile(r"[.:]? In (?:scope|query) (?P<scope>.*?)\.?$", re.S)
_UNKNOWN = re.compile(r"^Unknown expression (?:or function )?identifier `(?P<name>[^`]*)`")
_UNRESOLVED = re.compile(
    r"^Identifier '(?P<name>[^']*)' cannot be resolved from (?:table|subquery) with name "
    r"(?P<alias>\S+)(?: \(an alias of (?P<table>[^)]+)\))?"
)
_GUESS = re.compile(r"Maybe you meant: \[(?P<names>[^\]]*)\]")
_INTERNALS = re.compile(r"(?:: while executing function| while executing| \(version ).*$", re.S)


def engine_error(clickhouse: str) -> tuple[str, str]:
    """(message, details) in plain words for ClickHouse's refusal to run a query."""
    clickhouse = _CODE.sub("", clickhouse.strip())
    scope_match = _SCOPE.search(clickhouse)
    scope = scope_match.group("scope")[:300] if scope_match else ""
    text = clickhouse[: scope_match.start()] if scope_match else clickhouse
    guess = _GUESS.search(text)
    hint = f"; maybe you meant {guess.group('names').replace(chr(39), '')}" if guess else ""
    near = f"in: {scope}" if scope else ""
    unknown = _UNKNOWN.match(text)
    if unknown:
        return f"unknown column {unknown.group('name')}", near + hint
    unresolved = _UNRESOLVED.match(text)
    if unresolved:
        column = unresolved.group("name").split(".")[-1]
        table = unresolved.group("table") or unresolved.group("alias").rstrip(".")
        return (
            f"unknown column {unresolved.group('name')}: {table} has no column {column}",
            near + hint,
        )
    message = _INTERNALS.sub("", _GUESS.sub("", text)).strip().rstrip(".:")
    return (message[:1].lower() + message[1:300]) or "the query failed", near + hint
