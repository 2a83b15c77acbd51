"""Shared extracts: generating is quick, but most tests read the same ones."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from submissions.extract.canonical import Extract
from submissions.synthetic.model import SIZES, generate
from submissions.synthetic.writers import write_extract

LA = "370"
START, END = date(2023, 4, 1), date(2026, 3, 31)


@pytest.fixture(scope="session")
def small() -> Extract:
    return generate(LA, START, END, children=SIZES["small"], seed=1)


@pytest.fixture(scope="session")
def medium() -> Extract:
    return generate(LA, START, END, children=SIZES["medium"], seed=1)


@pytest.fixture(scope="session")
def small_files(small: Extract, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """The small extract in every format."""
    return write_extract(small, tmp_path_factory.mktemp("small"))
