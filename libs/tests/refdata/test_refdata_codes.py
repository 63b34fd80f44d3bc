"""统一社会信用代码 (GB 32100-2015) and 居民身份证号码 (GB 11643-1999)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from refdata.codes import (
    CREDIT_CODE_CHARSET,
    REGISTRATION_AUTHORITIES,
    credit_code_check_char,
    id_check_char,
    is_valid_credit_code,
    is_valid_id_number,
    make_credit_code,
    make_id_number,
    validate_credit_code,
    validate_id_number,
)
from refdata.errors import InvalidCode

# Published examples: the standard's own (GB 32100-2015 附录) and well-known registrations.
PUBLISHED_CREDIT_CODES = [
    "91350100M000100Y43",
    "914403001922038216",
    "91330100799655058B",
    "91110000100010433L",
    "12100000400000624D",
]
DIVISIONS = ["320600", "320500", "320583", "320400", "510400", "510100", "420100", "420500", "330100", "100000"]


def _reason(code: str) -> InvalidCode:
    with pytest.raises(InvalidCode) as caught:
        validate_credit_code(code)
    return caught.value


@pytest.mark.parametrize("code", PUBLISHED_CREDIT_CODES)
def test_published_credit_codes_are_valid(code: str) -> None:
    validate_credit_code(code)
    assert is_valid_credit_code(code)


def test_made_codes_are_valid_and_the_check_follows_the_formula() -> None:
    prefix = "91320600MA1M9XK2"  # 16: one short
    code = make_credit_code(prefix + "7")
    assert len(code) == 18 and is_valid_credit_code(code)
    values = [CREDIT_CODE_CHARSET.index(c) for c in code[:17]]
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    check = 31 - sum(v * w for v, w in zip(values, weights, strict=True)) % 31
    assert code[17] == CREDIT_CODE_CHARSET[0 if check == 31 else check]


def test_a_sum_divisible_by_31_gives_check_0() -> None:
    # All zeros after "11" + division: find a prefix whose weighted sum is ≡ 0 (mod 31).
    for tail in range(1000):
        prefix = f"11320600{tail:09d}"
        if credit_code_check_char(prefix) == "0":
            assert make_credit_code(prefix).endswith("0")
            return
    pytest.fail("no prefix with check 0 found")


def test_reasons_say_precisely_what_is_wrong() -> None:
    assert "18" in _reason("9132060012345678").en and "got 16" in _reason("9132060012345678").en
    wrong_o = _reason("91320600MA1MO0000A")
    assert "position 13" in wrong_o.en and "第13位" in wrong_o.zh and "I, O, Z, S and V" in wrong_o.en
    assert "upper case" in _reason("91320600ma1m000000").en
    assert "registration authority" in _reason("B1320600MA1M00000A").en
    assert "position 2" in _reason("95320600MA1M00000A").en
    assert "province 99" in _reason("91990600MA1M00000A").en
    assert "6 digits" in _reason("9132A600MA1M00000A").en
    good = PUBLISHED_CREDIT_CODES[0]
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    reason = _reason(bad)
    assert reason.en == f"check character (position 18) should be {good[17]}, got {bad[17]}"
    assert f"应为“{good[17]}”" in reason.zh


def test_non_strings_are_refused() -> None:
    assert not is_valid_credit_code(913206001234567890)  # type: ignore[arg-type]


_authority_and_type = st.sampled_from([(a, t) for a, (_, types) in REGISTRATION_AUTHORITIES.items() for t in types])
_prefixes = st.builds(
    lambda at, division, body: at[0] + at[1] + division + body,
    _authority_and_type,
    st.sampled_from(DIVISIONS),
    st.text(alphabet=CREDIT_CODE_CHARSET, min_size=9, max_size=9),
)


@given(prefix=_prefixes, position=st.integers(0, 17), replacement=st.characters(codec="utf-8"))
def test_every_single_character_corruption_is_detected(prefix: str, position: int, replacement: str) -> None:
    code = make_credit_code(prefix)
    assert is_valid_credit_code(code)
    if replacement == code[position]:
        replacement = CREDIT_CODE_CHARSET[(CREDIT_CODE_CHARSET.index(code[position]) + 1) % 31]
    corrupted = code[:position] + replacement + code[position + 1 :]
    assert not is_valid_credit_code(corrupted)


@given(prefix=_prefixes, position=st.integers(8, 16), shift=st.integers(1, 30))
def test_every_substitution_inside_the_charset_fails_the_check(prefix: str, position: int, shift: int) -> None:
    # Positions 9-17 have no structural rule: only the check character can catch these.
    code = make_credit_code(prefix)
    replacement = CREDIT_CODE_CHARSET[(CREDIT_CODE_CHARSET.index(code[position]) + shift) % 31]
    corrupted = code[:position] + replacement + code[position + 1 :]
    assert "check character" in _reason(corrupted).en


# ---------------------------------------------------------------- ID numbers


def test_the_standard_example_id_number_is_valid() -> None:
    validate_id_number("11010519491231002X")  # GB 11643-1999 example
    assert id_check_char("11010519491231002") == "X"


def test_make_id_number() -> None:
    number = make_id_number("32060219850317123")
    assert len(number) == 18 and is_valid_id_number(number)


def test_id_number_reasons() -> None:
    cases = {
        "110105194912310": "15-digit",
        "11010519491231002": "18 characters",
        "11010519491231002x": "upper-case X",
        "1101051949123100AX": "position 17",
        "99010519491231002X": "province 99",
        "110105194902300020": "not a calendar date",
        "110105189912310021": "not plausible",
        "110105194912310021": "should be X",
    }
    for number, expected in cases.items():
        with pytest.raises(InvalidCode) as caught:
            validate_id_number(number)
        assert expected in caught.value.en, (number, caught.value.en)
        assert caught.value.zh


def test_birth_date_after_as_of_is_refused() -> None:
    number = make_id_number("32060220210317123")
    assert is_valid_id_number(number)
    assert not is_valid_id_number(number, as_of=dt.date(2020, 1, 1))


@given(
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)),
    sequence=st.integers(0, 999),
    position=st.integers(0, 17),
    shift=st.integers(1, 9),
)
def test_every_single_digit_corruption_of_an_id_number_is_detected(
    birth: dt.date, sequence: int, position: int, shift: int
) -> None:
    number = make_id_number(f"320602{birth:%Y%m%d}{sequence:03d}")
    if position == 17:
        replacement = "0123456789X"[("0123456789X".index(number[17]) + shift) % 11]
    else:
        replacement = str((int(number[position]) + shift) % 10)
    assert not is_valid_id_number(number[:position] + replacement + number[position + 1 :])
