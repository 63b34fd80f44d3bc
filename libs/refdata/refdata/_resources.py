"""Reading the package's own data files (the only I/O in refdata)."""

from __future__ import annotations

from importlib import resources

import yaml  # type: ignore[import-untyped,unused-ignore]  # no stubs in the pinned environment


def data_text(*parts: str) -> str:
    """The text of ``refdata/data/<parts...>``."""
    node = resources.files("refdata").joinpath("data")
    for part in parts:
        node = node.joinpath(part)
    return node.read_text(encoding="utf-8")


def data_names(folder: str, suffix: str = ".yaml") -> list[str]:
    """Sorted names of the files in ``refdata/data/<folder>`` ending in ``suffix``."""
    node = resources.files("refdata").joinpath("data").joinpath(folder)
    return sorted(entry.name for entry in node.iterdir() if entry.name.endswith(suffix))


def parse_yaml(text: str) -> object:
    """Safe YAML (no tags, no objects)."""
    result: object = yaml.safe_load(text)
    return result
