"""Identification codes: 统一社会信用代码 (GB 32100-2015) and 居民身份证号码 (GB 11643-1999).

Both end in a check character that detects every single-character substitution: the weights are
non-zero modulo a prime (31 for credit codes, 11 for ID numbers), so changing one character
always changes the weighted sum modulo that prime.
"""

from __future__ import annotations

import datetime as dt

from refdata.errors import InvalidCode

CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters of GB 32100-2015 (no I, O, Z, S, V); a character's value is its index."""

CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

REGISTRATION_AUTHORITIES: dict[str, tuple[str, dict[str, str]]] = {
    # position 1 登记管理部门 → (name, {position 2 机构类别: name}), GB 32100-2015 附录A and its amendments
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"}),
    "2": ("外交", {"1": "外国常住新闻机构", "9": "其他"}),
    "3": (
        "司法行政",
        {"1": "律师执业机构", "2": "公证处", "3": "基层法律服务所", "4": "司法鉴定机构", "5": "仲裁委员会", "9": "其他"},
    ),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": ("旅游", {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"}),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": ("农业", {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"}),
    "Y": ("其他", {"1": "其他"}),
}

PROVINCE_CODES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)
"""First two digits of GB/T 2260 administrative division codes (provinces, 港澳台)."""

_CREDIT_DIVISION_PREFIXES = PROVINCE_CODES | {"10"}  # 100000: units registered at the central level
_ID_DIVISION_PREFIXES = PROVINCE_CODES | {"83"}  # 830000: 台湾居民居住证

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
_EARLIEST_BIRTH = dt.date(1900, 1, 1)


# ---------------------------------------------------------------- 统一社会信用代码


def credit_code_check_char(first17: str) -> str:
    """The 18th character (校验码) of a credit code whose first 17 characters are given."""
    if len(first17) != 17:
        raise InvalidCode(
            f"计算校验码需要前17位，实际为{len(first17)}位",
            f"the check character needs the first 17 characters, got {len(first17)}",
        )
    _check_charset(first17)
    total = sum(CREDIT_CODE_CHARSET.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def validate_credit_code(code: str) -> None:
    """Raise :class:`InvalidCode` unless ``code`` is a well-formed 统一社会信用代码.

    Checks, in order: 18 characters; every character in the GB 32100 charset (upper case, no I, O, Z,
    S, V); position 1 a registration authority (登记管理部门); position 2 a type (机构类别) of that
    authority; positions 3–8 a 6-digit administrative division code (登记管理机关行政区划码);
    position 18 the check character. Positions 9–17 (主体标识码, the former organisation code) are
    only checked against the charset.
    """
    if not isinstance(code, str):
        raise InvalidCode("统一社会信用代码必须是字符串", f"credit code must be a string, got {type(code).__name__}")
    if len(code) != 18:
        raise InvalidCode(
            f"统一社会信用代码应为18位，实际为{len(code)}位", f"credit code must have 18 characters, got {len(code)}"
        )
    _check_charset(code)
    _check_structure(code)
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        raise InvalidCode(
            f"校验码错误：第18位应为“{expected}”，实际为“{code[17]}”",
            f"check character (position 18) should be {expected}, got {code[17]}",
        )


def is_valid_credit_code(code: str) -> bool:
    """Whether :func:`validate_credit_code` accepts ``code``."""
    try:
        validate_credit_code(code)
    except InvalidCode:
        return False
    return True


def make_credit_code(prefix17: str) -> str:
    """Complete a 17-character prefix with its check character (for tests and demo data).

    The prefix must itself be well formed (authority, type, division), so the result is valid.
    """
    if len(prefix17) != 17:
        raise InvalidCode(f"前缀应为17位，实际为{len(prefix17)}位", f"prefix must have 17 characters, got {len(prefix17)}")
    _check_charset(prefix17)
    _check_structure(prefix17)
    return prefix17 + credit_code_check_char(prefix17)


def _check_charset(code: str) -> None:
    for position, char in enumerate(code, start=1):
        if char not in CREDIT_CODE_CHARSET:
            hint_zh, hint_en = _charset_hint(char)
            raise InvalidCode(
                f"第{position}位字符“{char}”不合法{hint_zh}",
                f"illegal character {char!r} at position {position}{hint_en}",
            )


def _charset_hint(char: str) -> tuple[str, str]:
    if char.upper() in CREDIT_CODE_CHARSET:
        return "（字母须大写）", " (letters must be upper case)"
    if char.upper() in "IOZSV":
        return "（代码不使用字母I、O、Z、S、V）", " (the letters I, O, Z, S and V are not used)"
    return "（只允许数字和大写字母，不含I、O、Z、S、V）", " (allowed: digits and upper-case letters except I, O, Z, S, V)"


def _check_structure(code: str) -> None:
    authority = REGISTRATION_AUTHORITIES.get(code[0])
    if authority is None:
        raise InvalidCode(
            f"第1位登记管理部门代码“{code[0]}”不存在",
            f"position 1 (registration authority) {code[0]!r} is not a registration authority code",
        )
    name, types = authority
    if code[1] not in types:
        raise InvalidCode(
            f"第2位机构类别代码“{code[1]}”不属于登记管理部门“{name}”（可用：{'、'.join(types)}）",
            f"position 2 (unit type) {code[1]!r} is not a type of registration authority {code[0]} (allowed: {', '.join(types)})",
        )
    division = code[2:8]
    if not division.isdigit() or not division.isascii():
        raise InvalidCode(
            f"第3至8位登记管理机关行政区划码“{division}”应为6位数字",
            f"positions 3-8 (administrative division code) must be 6 digits, got {division!r}",
        )
    if division[:2] not in _CREDIT_DIVISION_PREFIXES:
        raise InvalidCode(
            f"第3至8位行政区划码“{division}”的省级代码“{division[:2]}”不存在",
            f"positions 3-8 (administrative division code) {division}: province {division[:2]} does not exist",
        )


# ---------------------------------------------------------------- 居民身份证号码


def id_check_char(first17: str) -> str:
    """The 18th character (校验码) of an ID number whose first 17 digits are given."""
    if len(first17) != 17 or not first17.isdigit() or not first17.isascii():
        raise InvalidCode("计算校验码需要前17位数字", f"the check character needs 17 digits, got {first17!r}")
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def validate_id_number(number: str, *, as_of: dt.date | None = None) -> None:
    """Raise :class:`InvalidCode` unless ``number`` is a well-formed 18-digit 居民身份证号码.

    Checks: 18 characters; 17 digits then a digit or upper-case ``X``; a plausible address code
    (known province); a real birth date (出生日期码) not before 1900-01-01 and, when ``as_of`` is
    given, not after it; the check character. The 15-digit first-generation number is refused.
    """
    if not isinstance(number, str):
        raise InvalidCode("身份证号码必须是字符串", f"ID number must be a string, got {type(number).__name__}")
    if len(number) == 15 and number.isdigit():
        raise InvalidCode(
            "不接受15位一代身份证号码，请使用18位号码",
            "15-digit first-generation ID numbers are not accepted; use the 18-digit number",
        )
    if len(number) != 18:
        raise InvalidCode(f"身份证号码应为18位，实际为{len(number)}位", f"ID number must have 18 characters, got {len(number)}")
    for position, char in enumerate(number[:17], start=1):
        if not ("0" <= char <= "9"):
            raise InvalidCode(
                f"第{position}位字符“{char}”不合法，前17位必须是数字",
                f"illegal character {char!r} at position {position}: the first 17 must be digits",
            )
    last = number[17]
    if not ("0" <= last <= "9" or last == "X"):
        hint = "（须为大写X）" if last == "x" else ""
        raise InvalidCode(
            f"第18位字符“{last}”不合法，应为数字或X{hint}",
            f"illegal character {last!r} at position 18: must be a digit or upper-case X",
        )
    if number[:2] not in _ID_DIVISION_PREFIXES:
        raise InvalidCode(
            f"地址码“{number[:6]}”的省级代码“{number[:2]}”不存在",
            f"address code {number[:6]}: province {number[:2]} does not exist",
        )
    birth = _birth_date(number[6:14])
    if birth < _EARLIEST_BIRTH or (as_of is not None and birth > as_of):
        raise InvalidCode(f"出生日期“{birth.isoformat()}”不合理", f"birth date {birth.isoformat()} is not plausible")
    expected = id_check_char(number[:17])
    if last != expected:
        raise InvalidCode(
            f"校验码错误：第18位应为“{expected}”，实际为“{last}”",
            f"check character (position 18) should be {expected}, got {last}",
        )


def is_valid_id_number(number: str, *, as_of: dt.date | None = None) -> bool:
    """Whether :func:`validate_id_number` accepts ``number``."""
    try:
        validate_id_number(number, as_of=as_of)
    except InvalidCode:
        return False
    return True


def make_id_number(prefix17: str) -> str:
    """Complete a 17-digit prefix with its check character (for tests and demo data)."""
    number = prefix17 + id_check_char(prefix17)
    validate_id_number(number)
    return number


def birth_date_of(number: str) -> dt.date:
    """The birth date encoded in a valid ID number (positions 7–14)."""
    validate_id_number(number)
    return _birth_date(number[6:14])


def _birth_date(digits: str) -> dt.date:
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise InvalidCode(
            f"第7至14位出生日期“{digits}”不是有效日期", f"positions 7-14 (birth date) {digits} is not a calendar date"
        ) from None
