"""Several CIN censuses sent together: an episode open across a census date is counted once,
and the items only the earlier census lists (a plan that ended before the later census year)
are kept, not lost with the earlier copy of the episode."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from submissions.extract.check import read
from submissions.synthetic.model import generate
from submissions.synthetic.writers import write_cin_census

START, AS_OF = date(2023, 4, 1), date(2026, 3, 31)


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, object]:
    generated = generate("370", START, AS_OF, children=300, clean=True, seed=7)
    folder: Path = tmp_path_factory.mktemp("censuses")
    files = write_cin_census(generated, folder)
    assert len(files) == 3  # one census per collection year
    return generated, read([(f.name, f) for f in files], la_code="370", as_of=AS_OF)


def _items(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(frame["child_id"].astype(str), frame["start_date"].astype(str), strict=True))


@pytest.mark.parametrize("table", ["assessment", "cin_plan", "cp_plan"])
def test_every_item_of_the_years_sent_is_read_once(both: tuple[object, object], table: str) -> None:
    generated, extract = both
    made = generated.tables[table]  # type: ignore[attr-defined]
    ends = made["authorisation_date" if table == "assessment" else "end_date"]
    in_years = made[~(ends < pd.Timestamp(START)).fillna(False).astype(bool)]
    read_back = extract.tables[table]  # type: ignore[attr-defined]

    assert len(read_back) == len(_items(read_back))  # no item twice
    assert _items(read_back) == _items(in_years)


def test_moved_items_belong_to_the_kept_episode(both: tuple[object, object]) -> None:
    _, extract = both
    tables = extract.tables  # type: ignore[attr-defined]
    referrals = set(tables["referral"]["referral_id"])
    for name in ("assessment", "cin_plan", "s47_enquiry", "cp_plan"):
        assert set(tables[name]["referral_id"]) <= referrals, name
    assert len(tables["referral"]) == len(
        set(zip(tables["referral"]["child_id"], tables["referral"]["referral_date"], strict=True))
    )
