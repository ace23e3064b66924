"""The query guard: every query is analysed with sqlglot before it reaches the engine.

Deny by default: one SELECT statement (WITH, set operations and subqueries allowed), tables
only by the unqualified names of the 15 views or of CTEs, no table functions, only
allowlisted functions, no SETTINGS/FORMAT/INTO OUTFILE. sqlglot is used for analysis only:
the query text is executed exactly as the user wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from .schema import VIEWS

MAX_QUERY_CHARS = 100_000


class GuardError(Exception):
    """A query refused before execution, with the API's error code."""

    def __init__(self, code: str, message: str, details: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


@dataclass(frozen=True)
class Policy:
    """What a query may reference: unqualified table names, and (database, table) pairs."""

    tables: frozenset[str]
    qualified: frozenset[tuple[str, str]] = frozenset()


#: The service's rule: the 15 views, by unqualified name only.
VIEWS_POLICY = Policy(frozenset(VIEWS))


def vet(sql: str, policy: Policy, run: Callable[[str], str]) -> str:
    """Judge `sql` and return the one statement to execute, or raise GuardError.

    `run(trusted_sql)` executes SQL that the guard itself builds (such as EXPLAIN AST) in a
    locked-down chDB session and returns its TSVRaw text.
    """
    if policy.qualified:
        raise NotImplementedError("qualified table references")
    check(sql)
    check_ast(run(f"EXPLAIN AST {sql}"))
    return sql


_AGGREGATES = """count sum avg min max any anylast anyheavy argmin argmax uniq uniqexact
uniqcombined uniqcombined64 uniqhll12 uniqtheta grouparray groupuniqarray grouparraysorted
grouparraylast groupbitand groupbitor groupbitxor quantile quantiles quantileexact
quantilesexact quantiletiming quantilestiming quantiletdigest quantilestdigest
quantiledeterministic median medianexact mediantiming stddevpop stddevsamp varpop varsamp
covarpop covarsamp corr topk topkweighted sumwithoverflow sumkahan summap minmap maxmap
avgweighted histogram first_value last_value any_value row_number rank dense_rank percent_rank
cume_dist ntile lag lead laginframe leadinframe nth_value exponentialmovingaverage
simplelinearregression retention windowfunnel sequencematch sequencecount distinctjsonpaths
distinctjsonpathsandtypes distinctdynamictypes deltasum entropy kurtpop kurtsamp skewpop
skewsamp stddev variance stddev_pop stddev_samp var_pop var_samp countdistinct
grouparrayinsertat groupconcat boundingratio"""
_DATES = """now now64 today yesterday todate todate32 todatetime todatetime64 parsedatetime
parsedatetimeornull parsedatetimebesteffort parsedatetimebesteffortornull
parsedatetime64besteffort parsedatetime64besteffortornull parsedatetimebesteffortus
tostartofyear tostartofquarter tostartofmonth tostartofweek tostartofisoyear tostartofday
tostartofhour tostartofminute tostartofsecond tostartoffiveminutes tostartoftenminutes
tostartoffifteenminutes tostartofinterval tomonday tolastdayofmonth tolastdayofweek toyear
toquarter tomonth toweek toisoweek toisoyear todayofyear todayofmonth todayofweek tohour
tominute tosecond tomillisecond tounixtimestamp tounixtimestamp64milli tounixtimestamp64micro
fromunixtimestamp fromunixtimestamp64milli fromunixtimestamp64micro formatdatetime
formatdatetimeinjodasyntax datediff date_diff dateadd date_add datesub date_sub datetrunc
date_trunc timestampadd timestamp_add timestampsub timestamp_sub timestampdiff timestamp_diff
addseconds addminutes addhours adddays addweeks addmonths addquarters addyears
subtractseconds subtractminutes subtracthours subtractdays subtractweeks subtractmonths
subtractquarters subtractyears toyyyymm toyyyymmdd toyyyymmddhhmmss totimezone timezone
timezoneof age monthname torelativedaynum torelativehournum torelativemonthnum
torelativeweeknum torelativeyearnum torelativeminutenum torelativesecondnum timeslot
makedate makedate32 makedatetime makedatetime64 fromdaysnum todaysnum"""
_STRINGS = """length lengthutf8 char_length character_length lower upper lowerutf8 upperutf8
lcase ucase concat concatwithseparator concat_ws substring substr substringutf8 mid left right
leftutf8 rightutf8 leftpad rightpad lpad rpad leftpadutf8 rightpadutf8 trim trimboth trimleft
trimright ltrim rtrim replace replaceall replaceone replaceregexpall replaceregexpone
regexp_replace position positioncaseinsensitive positionutf8 locate instr like ilike notlike
notilike match extract extractall extractallgroups multisearchany multisearchfirstindex
multimatchany splitbychar splitbystring splitbyregexp splitbywhitespace splitbynonalpha
arraystringconcat reverse reverseutf8 repeat format startswith endswith empty notempty
base64encode base64decode trybase64decode hex unhex md5 sha1 sha256 siphash64 siphash128
cityhash64 xxhash32 xxhash64 farmhash64 murmurhash3_32 murmurhash3_64 javahash tovalidutf8
normalizeutf8nfc initcap initcaputf8 countsubstrings countmatches domain domainwithoutwww
topleveldomain protocol path pathfull querystring fragment extracturlparameter
extracturlparameters cutquerystring cutwww regexpextract regexp_extract
tolowcardinality soundex"""
_MATH = """abs round roundbankers rounddown floor ceil ceiling trunc truncate sqrt cbrt exp
exp2 exp10 log ln log2 log10 log1p pow power greatest least intdiv intdivorzero modulo mod
moduloorzero positivemodulo pmod plus minus multiply divide negate sign e pi isnan isinfinite
isfinite ifnotfinite sin cos tan asin acos atan atan2 sinh cosh tanh degrees radians rand
rand64 randcanonical bitand bitor bitxor bitnot bitshiftleft bitshiftright bitcount gcd lcm
midpoint"""
_LOGIC = """if multiif ifnull nullif coalesce isnull isnotnull isnullable assumenotnull
tonullable and or not xor equals notequals less greater lessorequals greaterorequals in
notin nullin notnullin has hasany hasall hassubstr indexof transform between"""
_ARRAYS = """array range arrayjoin arraymap arrayfilter arraycount arraysum arrayavg arraymin
arraymax arrayproduct arraysort arrayreversesort arraydistinct arrayenumerate
arrayenumerateuniq arrayslice arrayconcat arrayelement arrayelementornull arrayexists
arrayall arrayfirst arraylast arrayfirstindex arraylastindex arrayzip arrayflatten flatten
arrayreduce arraycompact arrayuniq arrayreverse arraypushback arraypushfront arraypopback
arraypopfront arrayintersect arraycumsum arraycumsumnonnegative arraydifference arraysplit
arrayresize arraypartialsort arrayshuffle arrayrandomsample arrayjaccardindex arrayshingles
arrayrotateleft arrayrotateright arrayfold arrayfill arrayreversefill arraystringconcat
countequal emptyarraystring emptyarrayuint64 emptyarrayint64 tuple tupleelement untuple
tupleplus tupleminus map mapkeys mapvalues mapcontains mapcontainskey mapfromarrays mapfilter
mapapply mapupdate mapadd mapsubtract arrayproduct"""
_JSON = """jsonextract jsonextractstring jsonextractint jsonextractuint jsonextractfloat
jsonextractbool jsonextractraw jsonextractkeys jsonextractkeysandvalues
jsonextractarrayraw jsonextractkeysandvaluesraw jsonhas jsonlength jsontype
jsonarraylength simplejsonextractstring simplejsonextractint simplejsonextractuint
simplejsonextractfloat simplejsonextractbool simplejsonextractraw simplejsonhas
visitparamextractstring visitparamextractint visitparamextractfloat visitparamextractbool
visitparamextractraw visitparamhas tojsonstring jsonallpaths jsonallpathswithtypes
jsondynamicpaths jsondynamicpathswithtypes jsonshareddatapaths
jsonshareddatapathswithtypes dynamictype dynamicelement varianttype variantelement
isvalidjson"""
_MISC = """touuid touuidornull touuidorzero generateuuidv4 generateuuidv7 uuidstringtonum
uuidnumtostring ipv4numtostring ipv4stringtonum ipv6numtostring ipv6stringtonum
isipv4string isipv6string ipv4cidrtorange ipv6cidrtorange totypename formatreadablesize
formatreadabledecimalsize formatreadablequantity formatreadabletimedelta bar neighbor
materialize identity cast accuratecast accuratecastornull accuratecastordefault
reinterpretasstring reinterpretasuuid reinterpretasuint64 reinterpretasint64 todecimalstring
greatcircledistance geodistance tointervalsecond tointervalminute tointervalhour
tointervalday tointervalweek tointervalmonth tointervalquarter tointervalyear
tointervalmillisecond tointervalmicrosecond tointervalnanosecond
runningaccumulate runningdifference"""
ALLOWED_FUNCTIONS = frozenset(
    " ".join((_AGGREGATES, _DATES, _STRINGS, _MATH, _LOGIC, _ARRAYS, _JSON, _MISC)).split()
)
_CONVERSION = re.compile(
    r"^to(u?int(8|16|32|64|128|256)|float(32|64)|bfloat16|decimal(32|64|128|256)?|date|date32"
    r"|datetime|datetime32|datetime64|string|fixedstring|bool|ipv4|ipv6|uuid|time|time64)"
    r"(ornull|orzero|ordefault)?$"
)
_COMBINATORS = ("if", "array", "map", "distinct", "ornull", "ordefault", "merge", "state",
                "simplestate", "foreach", "resample", "argmin", "argmax")  # fmt: skip
_DENIED_TYPED = frozenset(
    {
        "CurrentUser",
        "CurrentSchema",
        "CurrentCatalog",
        "CurrentRole",
        "CurrentDatabase",
        "SessionUser",
        "ReadCSV",
        "ReadParquet",
    }
)


def function_allowed(name: str) -> bool:
    """True for allowlisted ClickHouse functions, also with aggregate combinators."""
    lowered = name.lower()
    if lowered in ALLOWED_FUNCTIONS or _CONVERSION.match(lowered):
        return True
    for suffix in _COMBINATORS:
        stem = lowered[: -len(suffix)]
        if lowered.endswith(suffix) and stem and function_allowed(stem):
            return True
    return False


def _function_name(node: exp.Func) -> str | None:
    """The ClickHouse-level name of a function sqlglot did not recognise, else None."""
    if isinstance(node, (exp.Anonymous, exp.AnonymousAggFunc)):
        return str(node.name)
    if isinstance(node, (exp.CombinedAggFunc, exp.ParameterizedAgg, exp.CombinedParameterizedAgg)):
        return str(node.name)
    return None


def check(sql: str) -> None:
    """Raise GuardError unless `sql` is one safe SELECT over the views."""
    if not sql.strip():
        raise GuardError("BAD_REQUEST", "the query is empty")
    if len(sql) > MAX_QUERY_CHARS:
        raise GuardError("BAD_REQUEST", f"the query is longer than {MAX_QUERY_CHARS} characters")
    try:
        statements = [s for s in sqlglot.parse(sql, read="clickhouse") if s is not None]
    except SqlglotError as exc:
        raise GuardError("SYNTAX_ERROR", "syntax error", _clean(str(exc))) from None
    except RecursionError:
        raise GuardError("SYNTAX_ERROR", "the query is nested too deeply") from None
    if len(statements) != 1:
        if not statements:
            raise GuardError("BAD_REQUEST", "the query is empty")
        raise GuardError(
            "MULTIPLE_STATEMENTS", "only one statement per request is allowed",
            f"found {len(statements)} statements",
        )  # fmt: skip
    root = statements[0]
    while isinstance(root, exp.Subquery):
        root = root.this
    if not isinstance(root, (exp.Select, exp.SetOperation)):
        raise GuardError(
            "NOT_A_SELECT", "only SELECT queries are allowed: the service is read-only",
            f"got {root.key.upper()}",
        )  # fmt: skip
    _check_tree(root)


def _check_tree(root: exp.Expression) -> None:
    ctes = {cte.alias_or_name.lower() for cte in root.find_all(exp.CTE)}
    views = set(VIEWS)
    for node in root.walk():
        if isinstance(node, (exp.Select, exp.SetOperation)):
            for clause in ("settings", "format"):
                if node.args.get(clause):
                    raise GuardError(
                        "FORBIDDEN_CLAUSE", f"{clause.upper()} clauses are not allowed"
                    )
        if isinstance(node, (exp.Into, exp.Command, exp.DDL, exp.DML)):
            raise GuardError("NOT_A_SELECT", "only SELECT queries are allowed")
        if isinstance(node, exp.Table):
            _check_table(node, views, ctes)
        elif isinstance(node, exp.Values):
            raise GuardError("FORBIDDEN_TABLE_FUNCTION", "VALUES is not allowed", "query the views")
        elif isinstance(node, exp.Func):
            name = _function_name(node)
            if name is not None and not function_allowed(name):
                raise GuardError(
                    "FORBIDDEN_FUNCTION", f"function {name}() is not allowed",
                    "only analytic functions over the views are available",
                )  # fmt: skip
            if type(node).__name__ in _DENIED_TYPED:
                raise GuardError(
                    "FORBIDDEN_FUNCTION", f"function {node.sql('clickhouse')} is not allowed"
                )


def _check_table(node: exp.Table, views: set[str], ctes: set[str]) -> None:
    target = node.this
    if isinstance(target, exp.Func) or not isinstance(target, exp.Identifier):
        name = target.name if isinstance(target, exp.Expression) else str(target)
        raise GuardError(
            "FORBIDDEN_TABLE_FUNCTION", f"table function {name}() is not allowed",
            "query the views by name",
        )  # fmt: skip
    if node.args.get("db") or node.args.get("catalog"):
        raise GuardError(
            "QUALIFIED_NAME", "tables must be referenced by their unqualified names",
            f"write FROM {node.name}, not a database-qualified name",
        )  # fmt: skip
    name = node.name
    if name in views or name.lower() in ctes:
        return
    raise GuardError(
        "UNKNOWN_TABLE", f"unknown table {_printable(name)}",
        "available views: " + ", ".join(sorted(views)),
    )  # fmt: skip


def _printable(name: str) -> str:
    return repr(name[:64])


def _clean(message: str) -> str:
    """sqlglot messages carry terminal colour codes; drop them."""
    return re.sub(r"\x1b\[[0-9;]*m", "", message)[:500]


#: Function families that read files, URLs, dictionaries, other tables or server state; the
#: second check refuses them wherever ClickHouse's own parse finds them.
_DENIED_AST_PREFIXES = ("file", "url", "dictget", "dicthas", "dictisin", "joinget", "getsetting",
                        "getmacro", "getserver", "hascolumnintable", "hostname", "fqdn",
                        "currentdatabase", "currentuser", "filesystem", "s3", "remote")  # fmt: skip
_AST_TABLE_CHILD = re.compile(r"^(Function|TableIdentifier) (\S+)")
_AST_FUNCTION = re.compile(r"^Function (\S+)")


def check_ast(ast: str) -> None:
    """Second line of defence: vet ClickHouse's own parse (`EXPLAIN AST`) of the query.

    sqlglot and ClickHouse could disagree on how some text parses; this check reads the tree
    ClickHouse will execute: table expressions must be unqualified names or subqueries, and
    no function may come from the file/URL/dictionary/server-state families.
    """
    lines = [line.strip() for line in ast.splitlines()]
    for index, line in enumerate(lines):
        if line.startswith("TableExpression") and index + 1 < len(lines):
            child = _AST_TABLE_CHILD.match(lines[index + 1])
            if child and child.group(1) == "Function":
                raise GuardError(
                    "FORBIDDEN_TABLE_FUNCTION", f"table function {child.group(2)}() is not allowed"
                )
            if child and "." in child.group(2):
                raise GuardError(
                    "QUALIFIED_NAME", "tables must be referenced by their unqualified names"
                )
        function = _AST_FUNCTION.match(line)
        if function and function.group(1).lower().startswith(_DENIED_AST_PREFIXES):
            raise GuardError("FORBIDDEN_FUNCTION", f"function {function.group(1)}() is not allowed")
