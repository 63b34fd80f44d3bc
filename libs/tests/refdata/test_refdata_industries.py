"""GB/T 4754-2017 sections and divisions."""

from __future__ import annotations

import pytest

from refdata.errors import InvalidIndustry
from refdata.industries import division, is_valid_industry, section, section_of, sections, validate_industry


def test_twenty_sections_and_all_97_divisions() -> None:
    assert [s.code for s in sections()] == list("ABCDEFGHIJKLMNOPQRST")
    codes = [d.code for s in sections() for d in s.divisions]
    assert codes == [f"{n:02d}" for n in range(1, 98)]
    assert all(d.name for s in sections() for d in s.divisions)


def test_names_of_the_2017_edition() -> None:
    assert section("I").name == "信息传输、软件和信息技术服务业"
    assert division("65").name == "软件和信息技术服务业"
    assert division("79").name == "土地管理业"  # new in 2017
    assert division("59").name == "装卸搬运和仓储业"
    assert division("97").name == "国际组织" and division("97").section == "T"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("01", "A"),
        ("05", "A"),
        ("06", "B"),
        ("13", "C"),
        ("43", "C"),
        ("44", "D"),
        ("50", "E"),
        ("51", "F"),
        ("53", "G"),
        ("60", "G"),
        ("62", "H"),
        ("65", "I"),
        ("66", "J"),
        ("70", "K"),
        ("72", "L"),
        ("75", "M"),
        ("79", "N"),
        ("80", "O"),
        ("83", "P"),
        ("85", "Q"),
        ("90", "R"),
        ("96", "S"),
        ("97", "T"),
        ("7010", "K"),
        ("702", "K"),
    ],
)
def test_section_of(code: str, expected: str) -> None:
    assert section_of(code) == expected


def test_validate_industry() -> None:
    validate_industry("C", "39")
    validate_industry("J", None)
    assert is_valid_industry("G", "59") and not is_valid_industry("G", "61")
    with pytest.raises(InvalidIndustry) as caught:
        validate_industry("C", "65")
    assert "belongs to section I, not to section C" in caught.value.en and "门类I" in caught.value.zh
    for bad_section, bad_division in (("U", None), ("c", None), ("C", "98"), ("C", "3"), ("C", "00"), ("C", "39a")):
        with pytest.raises(InvalidIndustry):
            validate_industry(bad_section, bad_division)
