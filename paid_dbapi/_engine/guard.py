"""The query guard: ClickHouse's own parser decides what a query is; an allowlist judges it.

`vet` runs statements it builds itself, in the caller's locked-down session:

1. `SELECT formatQuerySingleLine('<query>')`: ClickHouse parses exactly one statement (it
   refuses a second one, however it is hidden) and returns its canonical text. That text, and
   nothing else, is what the caller executes.
2. `EXPLAIN AST graph = 1 <canonical text>`: ClickHouse's syntax tree of that very text,
   judged node by node: listed node kinds, listed functions wherever they appear, and table
   references that are a listed view, a CTE, or an allowed (database, table) pair. SETTINGS,
   FORMAT, INTO OUTFILE, table functions and query parameters appear nowhere.
3. Only for a table name that is not a listed view, in a query with CTEs, and for `APPLY`
   (whose function the graph does not show): `EXPLAIN QUERY TREE run_passes = 0`, ClickHouse's
   query tree before analysis (nothing runs), the one dump that prints CTE names and what each
   `APPLY` applies.
4. Only when a name starting with `_` appears, or `APPLY`: `EXPLAIN QUERY TREE passes = 1`,
   ClickHouse's own name resolution (scalar subqueries are evaluated), so that no column read
   from a table is a virtual one (`_database`, `_part`...); aliases, CTE names, lambda
   parameters and subquery columns named `_x` resolve to something else and stay allowed.

No other parser takes part, so nothing can read one way to the guard and another to the engine.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from .._literals import quote_string
from .messages import syntax_error

#: Longest accepted query, in UTF-8 bytes (ClickHouse parses at most 256 KiB per statement,
#: and the query travels inside a string literal that may double its size).
MAX_QUERY_BYTES = 100_000
#: Accepted queries are remembered (ClickHouse's parse of a text never changes), so a query
#: asked again, as dashboards do, costs no round trip to the engine.
CACHED_QUERIES = 512
CACHED_QUERY_BYTES = 8_192
_vetted: OrderedDict[tuple[str, Policy], str] = OrderedDict()
_vetted_lock = threading.Lock()


class GuardError(Exception):
    """A query refused before execution, with the API's error code."""

    def __init__(self, code: str, message: str, details: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


@dataclass(frozen=True)
class Policy:
    """What a query may reference and do.

    - `tables`: table names allowed unqualified (CTE names are always allowed as well).
    - `qualified`: allowed (database, table) pairs, e.g. ("system", "tables") for a catalog.
    - `functions`: functions allowed on top of the analytic allowlist (exact names), e.g.
      "version", "currentDatabase" for clients' metadata queries. Empty by default.
    - `statements`: statement kinds allowed besides SELECT: any of "SHOW" (SHOW TABLES,
      SHOW DATABASES, SHOW COLUMNS, SHOW CREATE TABLE/VIEW/DATABASE), "DESCRIBE" and "EXISTS"
      (EXISTS TABLE/VIEW/DATABASE). Empty by default. Tables they name are judged like any
      table reference, databases must appear in `qualified`; but ClickHouse's tree of SHOW
      TABLES and SHOW COLUMNS does not say what they list: allow SHOW only in a session whose
      catalog holds nothing secret.
    """

    tables: frozenset[str]
    qualified: frozenset[tuple[str, str]] = frozenset()
    functions: frozenset[str] = frozenset()
    statements: frozenset[str] = frozenset()


def vet(sql: str, policy: Policy, run: Callable[[str], str]) -> str:
    """Judge `sql` and return the canonical text of the one statement to execute.

    `run(trusted_sql)` executes SQL that the guard builds itself in a locked-down chDB session
    (with `implicit_select = 0`) and returns its TSVRaw output as text (bytes that are not
    UTF-8 replaced); it raises an exception whose text holds ClickHouse's message when
    ClickHouse refuses the statement. Raises GuardError.
    """
    size = _checked_size(sql)
    with _vetted_lock:
        canonical = _vetted.get((sql, policy))
        if canonical is not None:
            _vetted.move_to_end((sql, policy))
            return canonical
    canonical = _judge(sql, policy, run)
    if size <= CACHED_QUERY_BYTES:
        with _vetted_lock:
            _vetted[(sql, policy)] = canonical
            if len(_vetted) > CACHED_QUERIES:
                _vetted.popitem(last=False)
    return canonical


def _checked_size(sql: str) -> int:
    """The UTF-8 size of a query text that is not empty, valid Unicode and within the limit."""
    if not sql.strip():
        raise GuardError("BAD_REQUEST", "the query is empty")
    try:
        size = len(sql.encode("utf-8"))
    except UnicodeEncodeError:
        raise GuardError("BAD_REQUEST", "the query is not valid Unicode text") from None
    if size > MAX_QUERY_BYTES:
        raise GuardError("BAD_REQUEST", f"the query is longer than {MAX_QUERY_BYTES} bytes")
    return size


def _judge(sql: str, policy: Policy, run: Callable[[str], str]) -> str:
    canonical = _canonical(sql, run)
    root = tree_of(canonical, run)
    judge = _Judge(policy, canonical, run)
    judge.statement(root)
    if root.kind == "SelectWithUnionQuery" and judge.may_read_virtual(root):
        judge.columns()
    return canonical


def _canonical(sql: str, run: Callable[[str], str]) -> str:
    """ClickHouse's canonical one-line text of `sql`, which must be exactly one statement.

    ClickHouse writes string bytes that are not UTF-8 as they are; such a text is written
    again with `\\xNN` escapes, and kept only if ClickHouse reads it as the same statement.
    """
    text = _format(sql, run)
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError:
        escaped = text.decode("utf-8", "backslashreplace")
    if _format(escaped, run) != text:
        raise GuardError("BAD_REQUEST", "the query holds bytes that are not UTF-8 text",
                         "write binary strings with \\xNN escapes or unhex()")  # fmt: skip
    return escaped


def _format(sql: str, run: Callable[[str], str]) -> bytes:
    """The bytes of `formatQuerySingleLine(sql)`, or GuardError when ClickHouse refuses it."""
    quoted = quote_string(sql)
    try:
        out = run(f"SELECT getSetting('implicit_select'), hex(formatQuerySingleLine({quoted}))")
    except Exception as exc:  # the engine's error type; its text is ClickHouse's message
        code, message, details = syntax_error(sql, str(exc))
        raise GuardError(code, message, details) from None
    flag, _, hexed = out.strip().rpartition("\n")[2].partition("\t")
    if flag not in ("0", "false"):
        raise RuntimeError("the guard's session must set implicit_select = 0")
    return bytes.fromhex(hexed)


# -- ClickHouse's tree dump ------------------------------------------------------------------


@dataclass
class _Node:
    """One node of `EXPLAIN AST`: its kind, the rest of its label, and its children."""

    kind: str
    text: str
    children: list[_Node] = field(default_factory=list)

    def walk(self) -> Iterator[_Node]:
        """This node and every node below it, depth first (without recursion: trees are deep)."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))


_CHILDREN = re.compile(r" ?\(children (\d+)\)$")
_NAMED = re.compile(r"^(?P<name>.*?)(?: \(alias .*\))?$")
_DECLARATION = re.compile(r'^    n(\d+)\[label="(.*)"\];$')
_EDGE = re.compile(r"^    n(\d+) -> n(\d+);$")


def _tree(dump: str) -> _Node:
    """Rebuild the tree from ClickHouse's graph dump (`EXPLAIN AST graph = 1`).

    Structure comes from edges between node addresses, which no query text can know; names
    are printed unescaped, so a name holding a newline could add lines, but never a node
    joined to the real tree: any line that is not a node or an edge, a second root, a node
    out of the root's reach, an edge to an unknown node, or a child count that disagrees
    makes the query unreadable.
    """
    lines = dump.strip("\n").split("\n")
    if lines[:2] != ["digraph {", '    rankdir="UD";'] or lines[-1] != "}":
        raise _unreadable()
    nodes: dict[str, _Node] = {}
    children: set[str] = set()
    for line in lines[2:-1]:
        declaration = _DECLARATION.match(line)
        edge = _EDGE.match(line)
        if declaration and declaration.group(1) not in nodes:
            kind, _, text = declaration.group(2).partition(" ")
            nodes[declaration.group(1)] = _Node(kind, text)
        elif edge and edge.group(1) in nodes and edge.group(2) in nodes:
            if edge.group(2) in children:
                raise _unreadable()
            children.add(edge.group(2))
            nodes[edge.group(1)].children.append(nodes[edge.group(2)])
        else:
            raise _unreadable()
    roots = [node for key, node in nodes.items() if key not in children]
    if len(roots) != 1 or sum(1 for _ in roots[0].walk()) != len(nodes):
        raise _unreadable()
    for node in roots[0].walk():
        count = _CHILDREN.search(node.text)
        if (int(count.group(1)) if count else 0) != len(node.children):
            raise _unreadable()
        node.text = _CHILDREN.sub("", node.text)
    return roots[0]


def _settings() -> GuardError:
    return GuardError("FORBIDDEN_CLAUSE", "SETTINGS clauses are not allowed",
                      "the service fixes every setting")  # fmt: skip


def _unreadable() -> GuardError:
    return GuardError("BAD_REQUEST", "the query could not be analysed")


def _name(node: _Node) -> str:
    """The name on a Function/Identifier line, without its alias."""
    match = _NAMED.match(node.text)
    return match.group("name") if match else node.text


# -- the allowlists --------------------------------------------------------------------------

#: Node kinds a query may contain (ClickHouse's names in `EXPLAIN AST`).
_NODE_KINDS = """SelectWithUnionQuery SelectIntersectExceptQuery SelectQuery ExpressionList Subquery
    TablesInSelectQuery TablesInSelectQueryElement TableExpression TableIdentifier TableJoin
    ArrayJoin Identifier Literal Function Asterisk QualifiedAsterisk ColumnsRegexpMatcher
    ColumnsListMatcher QualifiedColumnsRegexpMatcher QualifiedColumnsListMatcher
    ColumnsTransformerList ColumnsApplyTransformer ColumnsExceptTransformer
    ColumnsReplaceTransformer ColumnsReplaceTransformer::Replacement OrderByElement
    InterpolateElement WithElement WindowDefinition WindowListElement SampleRatio"""
NODE_KINDS = frozenset(_NODE_KINDS.split())
#: Statement kinds a Policy may allow besides SELECT.
STATEMENT_KINDS = {
    "ShowTables": "SHOW",
    "ShowColumns": "SHOW",
    "ShowCreateTableQuery": "SHOW",
    "ShowCreateViewQuery": "SHOW",
    "ShowCreateDatabaseQuery": "SHOW",
    "DescribeQuery": "DESCRIBE",
    "ExistsTableQuery": "EXISTS",
    "ExistsViewQuery": "EXISTS",
    "ExistsDatabaseQuery": "EXISTS",
}
#: Statements naming one table ("database table" or " table" after the kind) or one database.
_ON_TABLE = {"ShowCreateTableQuery", "ShowCreateViewQuery", "ExistsTableQuery", "ExistsViewQuery"}
_ON_DATABASE = {"ShowCreateDatabaseQuery", "ExistsDatabaseQuery"}

_AGGREGATES = """count sum avg min max any anyLast anyHeavy argMin argMax uniq uniqExact
uniqCombined uniqCombined64 uniqHLL12 groupArray groupUniqArray groupArraySorted
groupArrayLast groupBitAnd groupBitOr groupBitXor quantile quantiles quantileExact
quantilesExact quantileTiming quantilesTiming quantileTDigest quantilesTDigest
quantileDeterministic median medianExact medianTiming stddevPop stddevSamp varPop varSamp
covarPop covarSamp corr topK topKWeighted sumWithOverflow sumKahan
avgWeighted histogram first_value last_value any_value row_number rank dense_rank denseRank
percent_rank percentRank cume_dist ntile lag lead lagInFrame leadInFrame nth_value
exponentialMovingAverage simpleLinearRegression retention windowFunnel sequenceMatch
sequenceCount distinctJSONPaths distinctJSONPathsAndTypes distinctDynamicTypes deltaSum
entropy kurtPop kurtSamp skewPop skewSamp stddev stddev_pop stddev_samp var_pop
var_samp groupArrayInsertAt groupConcat boundingRatio"""
_DATES = """now now64 today yesterday toDate toDate32 toDateTime toDateTime64 parseDateTime
parseDateTimeOrNull parseDateTimeBestEffort parseDateTimeBestEffortOrNull
parseDateTime64BestEffort parseDateTime64BestEffortOrNull parseDateTimeBestEffortUS
toStartOfYear toStartOfQuarter toStartOfMonth toStartOfWeek toStartOfISOYear toStartOfDay
toStartOfHour toStartOfMinute toStartOfSecond toStartOfFiveMinutes toStartOfTenMinutes
toStartOfFifteenMinutes toStartOfInterval toMonday toLastDayOfMonth toLastDayOfWeek toYear
toQuarter toMonth toWeek toISOWeek toISOYear toDayOfYear toDayOfMonth toDayOfWeek toHour
toMinute toSecond toMillisecond toUnixTimestamp toUnixTimestamp64Milli toUnixTimestamp64Micro
fromUnixTimestamp fromUnixTimestamp64Milli fromUnixTimestamp64Micro formatDateTime
formatDateTimeInJodaSyntax dateDiff date_diff dateAdd date_add dateSub date_sub dateTrunc
date_trunc timestampAdd timestamp_add timestampSub timestamp_sub timestampDiff timestamp_diff
addSeconds addMinutes addHours addDays addWeeks addMonths addQuarters addYears
subtractSeconds subtractMinutes subtractHours subtractDays subtractWeeks subtractMonths
subtractQuarters subtractYears toYYYYMM toYYYYMMDD toYYYYMMDDhhmmss toTimezone timezone
timezoneOf age monthName toRelativeDayNum toRelativeHourNum toRelativeMonthNum
toRelativeWeekNum toRelativeYearNum toRelativeMinuteNum toRelativeSecondNum timeSlot
current_date current_timestamp localtimestamp curdate localtime makeDate makeDate32
makeDateTime makeDateTime64 fromDaysSinceYearZero toDaysSinceYearZero
toIntervalSecond toIntervalMinute toIntervalHour toIntervalDay toIntervalWeek
toIntervalMonth toIntervalQuarter toIntervalYear toIntervalMillisecond
toIntervalMicrosecond toIntervalNanosecond"""
_STRINGS = """length lengthUTF8 char_length character_length lower upper lowerUTF8 upperUTF8
lcase ucase concat concatWithSeparator concat_ws substring substr substringUTF8 mid left right
leftUTF8 rightUTF8 leftPad rightPad lpad rpad leftPadUTF8 rightPadUTF8 trim trimBoth trimLeft
trimRight ltrim rtrim replace replaceAll replaceOne replaceRegexpAll replaceRegexpOne
regexp_replace position positionCaseInsensitive positionUTF8 locate instr like ilike notLike
notILike match extract extractAll extractAllGroups extractAllGroupsVertical multiSearchAny
multiSearchFirstIndex multiMatchAny splitByChar splitByString splitByRegexp splitByWhitespace
splitByNonAlpha
arrayStringConcat reverse reverseUTF8 repeat format startsWith endsWith empty notEmpty
base64Encode base64Decode tryBase64Decode hex unhex MD5 SHA1 SHA256 sipHash64 sipHash128
cityHash64 xxHash32 xxHash64 farmHash64 murmurHash3_32 murmurHash3_64 javaHash toValidUTF8
normalizeUTF8NFC initcap initcapUTF8 countSubstrings countMatches domain domainWithoutWWW
topLevelDomain protocol path pathFull queryString fragment extractURLParameter
extractURLParameters cutQueryString cutWWW regexpExtract REGEXP_EXTRACT toLowCardinality
soundex char"""
_MATH = """abs round roundBankers roundDown floor ceil ceiling trunc truncate sqrt cbrt exp
exp2 exp10 log ln log2 log10 log1p pow power greatest least intDiv intDivOrZero modulo mod
moduloOrZero positiveModulo pmod plus minus multiply divide negate sign e pi isNaN isInfinite
isFinite ifNotFinite sin cos tan asin acos atan atan2 sinh cosh tanh degrees radians rand
rand64 randCanonical bitAnd bitOr bitXor bitNot bitShiftLeft bitShiftRight bitCount gcd lcm"""
_LOGIC = """if multiIf caseWithExpression ifNull nullIf coalesce isNull isNotNull isNullable
assumeNotNull toNullable and or not xor equals notEquals less greater lessOrEquals
greaterOrEquals isNotDistinctFrom has hasAny hasAll hasSubstr indexOf transform exists
lambda grouping"""
_ARRAYS = """array range arrayJoin arrayMap arrayFilter arrayCount arraySum arrayAvg arrayMin
arrayMax arrayProduct arraySort arrayReverseSort arrayDistinct arrayEnumerate
arrayEnumerateUniq arraySlice arrayConcat arrayElement arrayElementOrNull arrayExists
arrayAll arrayFirst arrayLast arrayFirstIndex arrayLastIndex arrayZip arrayFlatten flatten
arrayReduce arrayCompact arrayUniq arrayReverse arrayPushBack arrayPushFront arrayPopBack
arrayPopFront arrayIntersect arrayCumSum arrayCumSumNonNegative arrayDifference arraySplit
arrayResize arrayPartialSort arrayShuffle arrayRandomSample arrayJaccardIndex arrayShingles
arrayRotateLeft arrayRotateRight arrayFold arrayFill arrayReverseFill countEqual
emptyArrayString emptyArrayUInt64 emptyArrayInt64 tuple tupleElement untuple tuplePlus
tupleMinus map mapKeys mapValues mapContains mapContainsKey mapFromArrays mapFilter mapApply
mapUpdate mapAdd mapSubtract"""
_JSON = """JSONExtract JSONExtractString JSONExtractInt JSONExtractUInt JSONExtractFloat
JSONExtractBool JSONExtractRaw JSONExtractKeys JSONExtractKeysAndValues JSONExtractArrayRaw
JSONExtractKeysAndValuesRaw JSONHas JSONLength JSONType JSONArrayLength
simpleJSONExtractString simpleJSONExtractInt simpleJSONExtractUInt simpleJSONExtractFloat
simpleJSONExtractBool simpleJSONExtractRaw simpleJSONHas visitParamExtractString
visitParamExtractInt visitParamExtractFloat visitParamExtractBool visitParamExtractRaw
visitParamHas toJSONString JSONAllPaths JSONAllPathsWithTypes JSONDynamicPaths
JSONDynamicPathsWithTypes JSONSharedDataPaths JSONSharedDataPathsWithTypes dynamicType
dynamicElement variantType variantElement isValidJSON"""
_MISC = """toUUID toUUIDOrNull toUUIDOrZero generateUUIDv4 generateUUIDv7 UUIDStringToNum
UUIDNumToString IPv4NumToString IPv4StringToNum IPv6NumToString IPv6StringToNum
isIPv4String isIPv6String IPv4CIDRToRange IPv6CIDRToRange toTypeName formatReadableSize
formatReadableDecimalSize formatReadableQuantity formatReadableTimeDelta bar
materialize identity CAST _CAST accurateCast accurateCastOrNull accurateCastOrDefault
reinterpretAsString reinterpretAsUUID reinterpretAsUInt64 reinterpretAsInt64 toDecimalString
greatCircleDistance geoDistance runningDifference"""
#: `x IN <name>` names a table: the name is judged like any table reference.
_IN = "in notIn nullIn notNullIn globalIn globalNotIn globalNullIn globalNotNullIn"
IN_FUNCTIONS = frozenset(_IN.split())
#: Pure functions, by ClickHouse name (ClickHouse also accepts some of them in other cases).
_ALL = (_AGGREGATES, _DATES, _STRINGS, _MATH, _LOGIC, _ARRAYS, _JSON, _MISC, _IN)
ALLOWED_FUNCTIONS = frozenset(" ".join(_ALL).split())
_AGGREGATE_NAMES = frozenset(_AGGREGATES.lower().split())
_LOWER = frozenset(name.lower() for name in ALLOWED_FUNCTIONS)
_CONVERSION = re.compile(
    r"^to(u?int(8|16|32|64|128|256)|float(32|64)|bfloat16|decimal(32|64|128|256)?|date|date32"
    r"|datetime|datetime32|datetime64|string|fixedstring|bool|ipv4|ipv6|uuid|time|time64)"
    r"(ornull|orzero|ordefault)?$"
)
_COMBINATORS = ("If", "Array", "Map", "Distinct", "OrNull", "OrDefault", "Merge", "State",
                "SimpleState", "ForEach", "Resample", "ArgMin", "ArgMax")  # fmt: skip
#: Functions ClickHouse also calls when a bare name, without parentheses, resolves to no column.
_BARE = """currentDatabase currentHandler currentUser today now localtime currentRequestURL
current_database session_user current_date DATABASE current_user user SCHEMA current_timestamp
localtimestamp curdate"""
BARE_FUNCTIONS = frozenset(_BARE.lower().split())
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def function_allowed(name: str, extra: frozenset[str] = frozenset()) -> bool:
    """True for allowlisted functions, also aggregates with -If/-State/-Merge... combinators."""
    if name in extra:
        return True
    if not _IDENTIFIER.match(name):
        return False
    return name.lower() in _LOWER or bool(_CONVERSION.match(name.lower())) or _aggregate(name)


def _aggregate(name: str) -> bool:
    """An allowlisted aggregate, bare or with any chain of combinators."""
    if name.lower() in _AGGREGATE_NAMES:
        return True
    return any(
        name.endswith(suffix) and _aggregate(name[: -len(suffix)]) for suffix in _COMBINATORS
    )


# -- the judge -------------------------------------------------------------------------------

_CTE = re.compile(
    r"^ *(?:QUERY|UNION) id: \d+, is_subquery: 1, is_cte: 1(?:, (?!cte_name)\w+: \w+)*"
    r", cte_name: (\S+?)(?:, union_mode: \w+)?$",
    re.M,
)
_CLAUSES = {"Set": "SETTINGS", "Identifier": "FORMAT", "Literal": "INTO OUTFILE"}
#: In the query tree dump: every function's name, every identifier, every query.
_TREE_FUNCTION = re.compile(r"function_name: ([^,\n]*)")
_TREE_IDENTIFIER = re.compile(r"identifier: ([^,\n]*)")
_TREE_QUERY = re.compile(r"^ *QUERY id: ", re.M)
_IN_LOWER = frozenset(name.lower() for name in IN_FUNCTIONS)
#: In the resolved query tree: table nodes, and where each column's name is printed.
_TREE_TABLE = re.compile(r"\bTABLE id: (\d+)")
_TREE_COLUMN = re.compile(r"column_name: ")
_COLUMN_SOURCE = re.compile(r"([^,\n]*)[^\n]*?, source_id: (\d+)")


class _Judge:
    """Judges one tree against a policy."""

    def __init__(self, policy: Policy, canonical: str, run: Callable[[str], str]) -> None:
        self.policy = policy
        self.canonical = canonical
        self.run = run
        self._ctes: frozenset[str] | None = None
        self._query_tree: str | None = None
        self.with_elements = 0

    def statement(self, root: _Node) -> None:
        """The root must be a SELECT, or a statement kind the policy allows."""
        if root.kind == "SelectWithUnionQuery":
            self.tree(root)
            return
        allowed = STATEMENT_KINDS.get(root.kind)
        if allowed is None or allowed not in self.policy.statements:
            kind = allowed or re.sub(r"Query$", "", root.kind)
            raise GuardError(
                "NOT_A_SELECT", "only SELECT queries are allowed: the service is read-only",
                f"got {kind}",
            )  # fmt: skip
        kinds = [child.kind for child in root.children]
        names = [_name(child) for child in root.children]
        if root.kind == "DescribeQuery" and kinds == ["TableExpression"]:
            self.tree(root.children[0])
        elif root.kind in _ON_TABLE and kinds == ["Identifier"] and root.text == f" {names[0]}":
            self.table(names[0])
        elif (
            root.kind in _ON_TABLE and kinds == ["Identifier"] * 2 and root.text == " ".join(names)
        ):
            self.table(".".join(names))
        elif root.kind in _ON_DATABASE and kinds == ["Identifier"] and root.text == f"{names[0]} ":
            if names[0] not in {database for database, _ in self.policy.qualified}:
                raise GuardError("UNKNOWN_DATABASE", f"unknown database {names[0][:64]!r}")
        elif not (root.kind in ("ShowTables", "ShowColumns") and kinds in ([], ["Identifier"])):
            # Anything else below a statement is INTO OUTFILE, FORMAT or SETTINGS.
            raise GuardError(
                "FORBIDDEN_CLAUSE", "INTO OUTFILE, FORMAT and SETTINGS are not allowed",
                "the service fixes the output format and settings",
            )  # fmt: skip

    def tree(self, root: _Node) -> None:
        """Judge `root` and every node below it."""
        nodes = list(root.walk())
        self.with_elements += sum(
            node.kind == "WithElement" and [c.kind for c in node.children] == ["Subquery"]
            for node in nodes
        )
        for node in nodes:
            self.node(node)
        if any(node.kind == "ColumnsApplyTransformer" for node in nodes):
            self.applied(nodes)

    def node(self, node: _Node) -> None:
        """Judge one node (with its children in view, where the rule needs them)."""
        kind = node.kind
        if kind == "Set":
            raise _settings()
        if kind not in NODE_KINDS:
            raise GuardError("FORBIDDEN_CLAUSE", "this kind of query is not supported",
                             f"found a {kind} node")  # fmt: skip
        if kind == "SelectWithUnionQuery" and len(node.children) > 1:
            clause = _CLAUSES.get(node.children[-1].kind, "FORMAT")
            raise GuardError("FORBIDDEN_CLAUSE", f"{clause} clauses are not allowed",
                             "the service fixes the output format and settings")  # fmt: skip
        if kind == "TableExpression" and node.children and node.children[0].kind == "Function":
            name = _name(node.children[0])
            raise GuardError(
                "FORBIDDEN_TABLE_FUNCTION", f"table function {name}() is not allowed",
                "query the views by name",
            )  # fmt: skip
        if kind == "TableIdentifier":
            self.table(_name(node))
        if kind == "Function":
            self.function(_name(node), node)
        if kind == "Identifier" and _name(node).lower() in BARE_FUNCTIONS:
            self.function(_name(node))

    def function(self, name: str, node: _Node | None = None) -> None:
        if not function_allowed(name, self.policy.functions):
            raise GuardError(
                "FORBIDDEN_FUNCTION", f"function {name[:64]}() is not allowed",
                "only analytic functions over the views are available",
            )  # fmt: skip
        if name in IN_FUNCTIONS and node is not None and node.children:
            arguments = node.children[0].children
            if len(arguments) == 2 and arguments[1].kind == "Identifier":
                self.table(_name(arguments[1]))

    def applied(self, nodes: list[_Node]) -> None:
        """What `APPLY` applies, read from the query tree, where the graph shows nothing.

        The graph has judged everything outside `APPLY`. The query tree prints every function
        and identifier of the query, `APPLY`'s included, each on a line of its own; names are
        unescaped, so a name holding a newline can add text, but never remove or change a
        real line. Hence: every function name and bare-name call in the dump must be allowed,
        and the dump may hold no more queries and `IN` calls than the graph outside `APPLY`,
        so that no subquery and no `IN <table>` hides inside it.
        """
        tree = self.query_tree()
        if tree is None:
            raise _unreadable()
        functions = _TREE_FUNCTION.findall(tree)
        bare = [name for name in _TREE_IDENTIFIER.findall(tree) if name.lower() in BARE_FUNCTIONS]
        for name in functions + bare:
            self.function(name)
        queries = sum(node.kind == "SelectQuery" for node in nodes)
        ins = sum(node.kind == "Function" and _name(node).lower() in _IN_LOWER for node in nodes)
        tree_ins = sum(name.lower() in _IN_LOWER for name in functions)
        if len(_TREE_QUERY.findall(tree)) > queries or tree_ins > ins:
            raise GuardError(
                "FORBIDDEN_FUNCTION", "APPLY may hold functions and lambdas, not subqueries or IN",
                "move the subquery or IN outside APPLY",
            )  # fmt: skip

    def may_read_virtual(self, root: _Node) -> bool:
        """True when a name part starts with `_`, as every virtual column's does: in the
        graph, or, under `APPLY` (whose lambdas the graph does not show), in the query tree's
        identifiers. False means no virtual column can be named."""
        names = [_name(node) for node in root.walk() if node.kind == "Identifier"]
        if any(node.kind == "ColumnsApplyTransformer" for node in root.walk()):
            names += _TREE_IDENTIFIER.findall(self.query_tree() or "")
        return any(part.startswith("_") for name in names for part in name.split("."))

    def columns(self) -> None:
        """No column read from a table may be a virtual column: ClickHouse names all of them
        with a leading `_` (`_database`, `_table`, `_part`, `_path`...) and no view column
        starts with one.

        Read from ClickHouse's resolved query tree, where a user's alias, CTE, lambda
        parameter or subquery column is not a table's column. Names are printed unescaped,
        so forged text can add table ids and columns (refusing more), but never hide a real
        column line: each `column_name:` is read from where it starts, and any node id in
        the dump that is a table's id counts as a table. When ClickHouse cannot resolve the
        query, its error is the query's own error and is raised as it is.
        """
        tree = self.run(f"EXPLAIN QUERY TREE passes = 1 {self.canonical}")
        tables = set(_TREE_TABLE.findall(tree))
        for start in _TREE_COLUMN.finditer(tree):
            found = _COLUMN_SOURCE.match(tree, start.end())
            if found is None or found.group(2) not in tables:
                continue
            name = found.group(1)
            if name.split(".")[0].startswith("_"):
                raise GuardError(
                    "UNKNOWN_COLUMN", f"{name[:64]} is not a column of the views",
                    "only the views' documented columns can be read (GET /schema lists them)",
                )  # fmt: skip

    def query_tree(self) -> str | None:
        """ClickHouse's query tree before analysis, or None when it cannot print it."""
        if self._query_tree is None:
            try:
                self._query_tree = self.run(f"EXPLAIN QUERY TREE run_passes = 0 {self.canonical}")
            except Exception:  # the engine's error type; the caller decides what it means
                return None
        return self._query_tree

    def table(self, name: str) -> None:
        """A table reference: an allowed view, a CTE, or an allowed (database, table) pair."""
        database, dot, table = name.rpartition(".")
        if dot:
            if (database, table) in self.policy.qualified:
                return
            raise GuardError(
                "QUALIFIED_NAME", "tables must be referenced by their unqualified names",
                f"write {table[:64]} instead of {name[:130]}",
            )  # fmt: skip
        if name in self.policy.tables or name in self.ctes():
            return
        raise GuardError(
            "UNKNOWN_TABLE", f"unknown table {name[:64]!r}",
            "available views: " + ", ".join(sorted(self.policy.tables)),
        )  # fmt: skip

    def ctes(self) -> frozenset[str]:
        """CTE names, which `EXPLAIN AST` does not print: ClickHouse's query tree does.

        That dump prints names unescaped too, so its CTE names count only when there are as
        many as the WITH elements of the unforgeable graph. A name taken wrongly could only
        reach a table of the session's current database.
        """
        if self._ctes is None:
            self._ctes = frozenset()
            tree = self.query_tree() if self.with_elements else None
            if tree is not None:  # else no CTE name is taken
                names = _CTE.findall(tree)
                if len(names) == self.with_elements:
                    self._ctes = frozenset(names)
        return self._ctes


# -- public readers (for callers that route a query before an engine judges it) -------------

#: A node of ClickHouse's syntax tree, as `parse` returns it.
Node = _Node


def parse(sql: str, run: Callable[[str], str]) -> tuple[str, Node]:
    """The canonical text of `sql` (exactly one statement, as `vet` requires) and ClickHouse's
    tree of that text, read by the guard's own reader; nothing is judged. Raises GuardError."""
    _checked_size(sql)
    canonical = _canonical(sql, run)
    return canonical, tree_of(canonical, run)


def tree_of(canonical: str, run: Callable[[str], str]) -> Node:
    """ClickHouse's tree of a canonical text (`EXPLAIN AST graph = 1`); GuardError if unread."""
    try:
        dump = run(f"EXPLAIN AST graph = 1 {canonical}")
    except Exception as exc:  # EXPLAIN substitutes parameters and applies SETTINGS clauses
        if "UNKNOWN_QUERY_PARAMETER" in str(exc):
            raise GuardError("BAD_REQUEST", "query parameters ({name:Type}) are not supported",
                             "write the values as literals") from None  # fmt: skip
        if "READONLY" in str(exc) or "setting" in str(exc).lower():
            raise _settings() from None
        raise _unreadable() from None
    return _tree(dump)


def name_of(node: Node) -> str:
    """The name on a Function/Identifier node, without its alias."""
    return _name(node)
