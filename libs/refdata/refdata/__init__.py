"""refdata: the platform's shared reference data.

Pure code and the package's own data files; no network, no other I/O. Modules:
``codes`` (统一社会信用代码, 居民身份证号码), ``enums`` (insurances, unit types, sizes),
``periods`` (费款所属期), ``money`` (fen and Decimal rates), ``industries`` (GB/T 4754-2017),
``regions`` (统筹区 and their dated parameters), ``china_time`` (the day of an instant in China), ``errors``.
"""

from refdata.errors import (
    InvalidAmount,
    InvalidCode,
    InvalidFeePeriod,
    InvalidIndustry,
    NoParameters,
    RefdataError,
    RegionDataError,
    UnknownRegion,
)

__all__ = [
    "InvalidAmount",
    "InvalidCode",
    "InvalidFeePeriod",
    "InvalidIndustry",
    "NoParameters",
    "RefdataError",
    "RegionDataError",
    "UnknownRegion",
]
