"""Enterprise sizes (大中小微) and their order, from the largest class down."""

from __future__ import annotations

from enum import StrEnum


class Size(StrEnum):
    LARGE = "large"  # 大型
    MEDIUM = "medium"  # 中型
    SMALL = "small"  # 小型
    MICRO = "micro"  # 微型


UNCLASSIFIABLE = "unclassifiable"  # outside the 2017 standard: manual review, never silently micro
ORDER: tuple[Size, ...] = (Size.LARGE, Size.MEDIUM, Size.SMALL, Size.MICRO)
ZH = {Size.LARGE: "大型", Size.MEDIUM: "中型", Size.SMALL: "小型", Size.MICRO: "微型", UNCLASSIFIABLE: "无法划型"}


def rank(size: Size) -> int:
    """0 for large … 3 for micro: a higher rank is a smaller class."""
    return ORDER.index(size)


def smallest(sizes: list[Size]) -> Size:
    return max(sizes, key=rank)


def parse_size(text: str) -> Size | str | None:
    """A size as written in a province file or a request (`small`, `小型`, `小`); None if unknown."""
    value = text.strip().lower()
    for size in ORDER:
        if value in (size.value, ZH[size], ZH[size][0]):
            return size
    if value in (UNCLASSIFIABLE, ZH[UNCLASSIFIABLE]):
        return UNCLASSIFIABLE
    return None
