"""Decimals through the service's double, for generated values of every precision and scale.

The stored value comes from ClickHouse itself (the chDB oracle's `toString`); the JSON text the
emulator must send is Python's `float` of that exact value printed the way JavaScript's
`JSON.stringify` prints a number, by a rendering written here from `repr`; the driver's value
must be the Decimal of that text at the column's scale; and the precision warning must fire on
exactly the values of 16 or more significant digits at the column's scale.
"""

from __future__ import annotations

import decimal
import json
import warnings
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import paid_dbapi
from paid_dbapi.emulator import DEMO_BASE_URL, Emulator
from tests.conftest import connect_to
from tests.differential import examples
from tests.differential.oracle import Oracle

#: Room for 76 digits and a double's: nothing here rounds.
WIDE = decimal.Context(prec=200)


def js_text(value: float) -> str:
    """JavaScript's Number::toString of a double, from Python's shortest `repr`: plain digits
    from 1e-6 up to below 1e21, an exponent with an explicit sign outside."""
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    mantissa, _, exp = repr(abs(value)).partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = (whole + frac).lstrip("0")
    last = (
        int(exp or 0) - len(frac) + len(digits) - len(digits.rstrip("0"))
    )  # exponent of the last digit
    digits = digits.rstrip("0")
    lead = last + len(digits) - 1  # the decimal exponent of the first digit
    if lead < -6 or lead >= 21:
        rest = digits[1:]
        return (
            f"{sign}{digits[0]}{'.' + rest if rest else ''}e{'+' if lead >= 0 else '-'}{abs(lead)}"
        )
    if lead < 0:
        return f"{sign}0.{'0' * (-lead - 1)}{digits}"
    if len(digits) <= lead + 1:
        return f"{sign}{digits}{'0' * (lead + 1 - len(digits))}"
    return f"{sign}{digits[: lead + 1]}.{digits[lead + 1 :]}"


def test_js_text_matches_javascripts_published_examples() -> None:
    cases = {1e-7: "1e-7", 1.5e21: "1.5e+21", -2.5e-8: "-2.5e-8", 123.0: "123",
             1e21: "1e+21", 1e20: "100000000000000000000", 0.000001: "0.000001",
             0.1: "0.1", -0.0: "0", 123.45: "123.45", 2.0**53 + 2: "9007199254740994"}  # fmt: skip
    assert {v: js_text(v) for v in cases} == cases


def significant_digits_at_scale(text: str, scale: int) -> int:
    """Digits from the first non-zero one down to the column's scale."""
    value = Decimal(text).scaleb(scale, context=WIDE).to_integral_value(context=WIDE)
    return 0 if value == 0 else len(str(abs(int(value))))


@st.composite
def decimals(draw: st.DrawFn) -> tuple[int, int, str]:
    """(precision, scale, exact text of a value of Decimal(precision, scale))."""
    precision = draw(st.integers(1, 76))
    scale = draw(st.integers(0, precision))
    width = draw(st.integers(1, precision))
    coefficient = draw(st.integers(0, 10**width - 1)) * draw(st.sampled_from((1, -1)))
    return precision, scale, str(Decimal(coefficient).scaleb(-scale))


@pytest.fixture(scope="module")
def emulator() -> Emulator:
    return Emulator()  # the service's form: the default


@pytest.fixture(scope="module")
def client(emulator: Emulator) -> Iterator[httpx.Client]:
    key = emulator.keys()["acme"]
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(
        transport=emulator.transport(), base_url=DEMO_BASE_URL, headers=headers
    ) as http:
        yield http


@pytest.fixture(scope="module")
def cursor(emulator: Emulator) -> Iterator[paid_dbapi.Cursor]:
    with connect_to(emulator, on_precision="warn") as conn:
        yield conn.cursor()


def wire_texts(response: httpx.Response) -> list[object]:
    """The first row with every number as the exact text that was sent."""
    body = json.loads(response.text, parse_float=str, parse_int=str)
    return body["rows"][0]  # type: ignore[no-any-return]


@settings(
    max_examples=examples(300),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=decimals())
@example(case=(59, 0, "9" * 59))  # the double is 1e59: one digit past the type
def test_a_decimal_goes_through_a_double(
    oracle: Oracle, client: httpx.Client, cursor: paid_dbapi.Cursor, case: tuple[int, int, str]
) -> None:
    precision, scale, text = case
    type_text = f"Decimal({precision}, {scale})"
    value = f"CAST('{text}', '{type_text}')"
    [stored] = oracle.row(f"SELECT toString({value})")
    assert Decimal(stored) == Decimal(text)
    sql = (
        f"SELECT {value} AS v, CAST({value}, 'Nullable({type_text})') AS n, "
        f"CAST(NULL, 'Nullable({type_text})') AS z, [{value}, {value}] AS a, "
        f"CAST(({value}, 'x'), 'Tuple(d {type_text}, s String)') AS t, map('k', {value}) AS m"
    )
    want = js_text(float(Decimal(stored)))
    r = client.post("/query", json={"query": sql})
    assert r.status_code == 200, r.text
    assert wire_texts(r) == [want, want, None, [want, want], {"d": want, "s": "x"}, {"k": want}]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cursor.execute(sql)
        row = cursor.fetchone()
    exact = Decimal(want).quantize(Decimal(1).scaleb(-scale), context=WIDE)
    assert row is not None
    got = row[0]
    assert got == exact
    assert got.as_tuple().exponent == -scale
    assert row[1:] == (exact, None, [exact, exact], {"d": exact, "s": "x"}, {"k": exact})
    lossy = significant_digits_at_scale(want, scale) >= 16
    assert cursor.precision_lost is lossy
    precision_warnings = [w for w in caught if issubclass(w.category, paid_dbapi.PrecisionWarning)]
    assert len(precision_warnings) == (1 if lossy else 0)  # once per result, all columns named
    if lossy:
        message = str(precision_warnings[0].message)
        assert all(f"'{c}'" in message for c in ("v", "n", "a", "t", "m"))
        assert "toString(v)" in message
    else:  # no warning: the value is the stored one, exactly
        assert got == Decimal(stored)
    with warnings.catch_warnings():  # the warning was checked above
        warnings.simplefilter("ignore", paid_dbapi.PrecisionWarning)
        cursor.execute(f"SELECT {value} AS v")
    if significant_digits_at_scale(want, scale) <= precision:  # Arrow's decimal holds it
        assert cursor.fetch_arrow_table()["v"].to_pylist() == [exact]
    else:  # the double rounded 99...9 up past the type: a clear refusal, not a wrong value
        with pytest.raises(paid_dbapi.DataError, match=r"toString\(v\)"):
            cursor.fetch_arrow_table()


@pytest.mark.parametrize(
    ("type_text", "text", "sent", "driver"),
    [
        ("Decimal(18, 10)", "0.0000001", "1e-7", Decimal("0.0000001000")),
        ("Decimal(38, 0)", "1500000000000000000000", "1.5e+21", Decimal("1500000000000000000000")),
        ("Decimal(18, 10)", "-0.000000025", "-2.5e-8", Decimal("-0.0000000250")),
        ("Decimal(9, 2)", "123", "123", Decimal("123.00")),
        ("Decimal(20, 0)", "9007199254740993", "9007199254740992", Decimal("9007199254740992")),
    ],
)
def test_exponent_forms(
    client: httpx.Client, type_text: str, text: str, sent: str, driver: Decimal
) -> None:
    sql = f"SELECT CAST('{text}', '{type_text}') AS v"
    assert wire_texts(client.post("/query", json={"query": sql})) == [sent]
    with connect_to(Emulator(), on_precision="ignore") as conn:
        (value,) = conn.cursor().execute(sql).fetchone() or (None,)
    assert value == driver
    assert str(value) == str(driver)


def test_error_mode_and_the_exact_option() -> None:
    sql = "SELECT toDecimal64('9007199254740993', 0) AS big"
    with (
        connect_to(Emulator(), on_precision="error") as conn,
        pytest.raises(paid_dbapi.DataError, match=r"toString\(big\)"),
    ):
        conn.cursor().execute(sql)
    with connect_to(Emulator(exact_decimals=True), on_precision="ignore") as conn:
        cur = conn.cursor().execute(sql)
        assert cur.fetchone() == (Decimal("9007199254740993"),)
        assert cur.precision_lost is True  # the driver cannot tell an exact server apart
    with paid_dbapi.connect(demo=True, on_precision="warn") as conn:
        cur = conn.cursor()
        cur.on_precision = "ignore"
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            cur.execute(sql)
        assert cur.imprecise_columns == ("big",)


def test_on_precision_is_a_url_option_and_checked() -> None:
    from paid_dbapi._urls import connect_args_from_url

    assert connect_args_from_url("paid+demo://?on_precision=error") == {
        "on_precision": "error",
        "demo": True,
    }
    with pytest.raises(paid_dbapi.InterfaceError, match="on_precision"):
        connect_args_from_url("paid+demo://?on_precision=loud")
    with pytest.raises(paid_dbapi.InterfaceError, match="on_precision must be one of"):
        paid_dbapi.connect(demo=True, on_precision="loud")
