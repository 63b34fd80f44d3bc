"""国民经济行业分类 GB/T 4754-2017: sections (门类) A–T and divisions (大类) 01–97.

The data lives in ``data/industries.yaml``. The size standard (国统字〔2017〕213号) that uses these
codes is implemented by the classification service, not here.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from refdata._resources import data_text, parse_yaml
from refdata.errors import InvalidIndustry


@dataclass(frozen=True, slots=True)
class Division:
    """A 大类: two digits, e.g. ``Division('65', '软件和信息技术服务业', 'I')``."""

    code: str
    name: str
    section: str


@dataclass(frozen=True, slots=True)
class Section:
    """A 门类: one letter and its divisions in code order."""

    code: str
    name: str
    divisions: tuple[Division, ...]


@dataclass(frozen=True, slots=True)
class _Catalog:
    sections: Mapping[str, Section]
    divisions: Mapping[str, Division]


@functools.cache
def _catalog() -> _Catalog:
    raw = parse_yaml(data_text("industries.yaml"))
    if not isinstance(raw, dict) or not isinstance(raw.get("sections"), list):
        raise RuntimeError("refdata/data/industries.yaml: expected a mapping with a 'sections' list")
    sections: dict[str, Section] = {}
    divisions: dict[str, Division] = {}
    for entry in raw["sections"]:
        code, name, items = str(entry["code"]), str(entry["name"]), entry["divisions"]
        own = tuple(Division(str(d), str(n), code) for d, n in items.items())
        for division in own:
            if len(division.code) != 2 or not division.code.isdigit() or division.code in divisions:
                raise RuntimeError(f"refdata/data/industries.yaml: bad or repeated division {division.code!r}")
            divisions[division.code] = division
        sections[code] = Section(code, name, own)
    return _Catalog(sections, divisions)


def sections() -> list[Section]:
    """Every section, A to T."""
    return list(_catalog().sections.values())


def section(code: str) -> Section:
    """The section with letter ``code``; :class:`InvalidIndustry` if there is none."""
    return _section(code)


def _section(code: str) -> Section:
    found = _catalog().sections.get(code) if isinstance(code, str) else None
    if found is None:
        raise InvalidIndustry(f"行业门类“{code}”不存在（应为A至T）", f"industry section {code!r} does not exist (A to T)")
    return found


def division(code: str) -> Division:
    """The division with two-digit ``code``; :class:`InvalidIndustry` if there is none."""
    return _division(code)


def _division(code: str) -> Division:
    found = _catalog().divisions.get(code) if isinstance(code, str) else None
    if found is None:
        raise InvalidIndustry(
            f"行业大类“{code}”不存在（应为01至97的两位数字）", f"industry division {code!r} does not exist (two digits, 01 to 97)"
        )
    return found


def section_of(code: str) -> str:
    """The section letter of a division (``'65' → 'I'``).

    A 3- or 4-digit group or class code (中类/小类, e.g. ``'7010'`` 房地产开发经营) is resolved by
    its first two digits; only that division part is verified.
    """
    if not isinstance(code, str) or not code.isascii() or not code.isdigit() or not 2 <= len(code) <= 4:
        raise InvalidIndustry(f"行业代码“{code}”应为2至4位数字", f"industry code {code!r} must be 2 to 4 digits")
    return _division(code[:2]).section


def validate_industry(section: str, division: str | None) -> None:
    """Raise :class:`InvalidIndustry` unless the section exists and the division (if given) belongs to it.

    ``division`` is a 2-digit 大类; a 3- or 4-digit code is accepted as in :func:`section_of`.
    """
    found = _section(section)
    if division is None:
        return
    actual = section_of(division)
    if actual != found.code:
        raise InvalidIndustry(
            f"行业大类“{division}”属于门类{actual}，不属于门类{found.code}（{found.name}）",
            f"industry division {division} belongs to section {actual}, not to section {found.code}",
        )


def is_valid_industry(section: str, division: str | None) -> bool:
    """Whether :func:`validate_industry` accepts the pair."""
    try:
        validate_industry(section, division)
    except InvalidIndustry:
        return False
    return True
