"""The stored canonical extract's format (``submissions.extract.stored``): what is dumped is
loaded back exactly, every table, dtype, NA, index and piece of metadata, in every format;
the readers' findings are the report's, not the stored extract's."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from submissions.extract import check, stored
from submissions.extract.canonical import TABLES, Extract, Finding, Format, Severity, empty_table
from submissions.synthetic.model import generate
from submissions.synthetic.writers import FORMATS, write_extract

AS_OF = date(2025, 3, 31)


@pytest.fixture(scope="module")
def generated() -> Extract:
    return generate("370", date(2023, 4, 1), AS_OF, children=400, seed=5)


@pytest.fixture(scope="module")
def written(generated: Extract, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    return write_extract(generated, tmp_path_factory.mktemp("stored"))


def assert_same(before: Extract, after: Extract) -> None:
    assert list(after.tables) == list(before.tables)
    for name, table in before.tables.items():
        loaded = after.tables[name]
        assert dict(loaded.dtypes) == dict(table.dtypes), name
        pd.testing.assert_frame_equal(loaded, table, check_exact=True, check_index_type=True)
    assert after.findings == []  # the report's, stored apart (see stored.py)
    assert after.formats == before.formats
    assert (after.la_code, after.as_of, after.coverage_start, after.unreadable) == (
        before.la_code, before.as_of, before.coverage_start, before.unreadable,
    )  # fmt: skip


def test_a_generated_extract_round_trips(generated: Extract) -> None:
    assert all(len(t) for t in generated.tables.values())

    assert_same(generated, stored.loads(stored.dumps(generated)))


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_round_trips_as_the_check_read_it(
    written: dict[str, list[Path]], fmt: str
) -> None:
    extract = check.read([(p.name, p) for p in written[fmt]], la_code="370", as_of=AS_OF)
    assert sum(len(t) for t in extract.tables.values())

    loaded = stored.loads(stored.dumps(extract))

    assert_same(extract, loaded)
    # The source columns survive, so a drill-down can point at the user's own rows.
    assert loaded.tables["child"]["_location"].notna().all()
    # Validating the stored extract finds exactly what the check found (the readers found
    # nothing in these files, so nothing is missing).
    assert extract.findings == []
    assert check.validate(loaded).findings == check.validate(extract).findings


def test_missing_values_and_empty_tables_round_trip() -> None:
    extract = Extract(la_code="370", as_of=AS_OF, coverage_start=date(2024, 4, 1),
                      formats=[Format.CIN_XML, Format.SSDA903_CSV])  # fmt: skip
    child = empty_table("child")
    child = pd.concat(
        [
            child,
            pd.DataFrame(
                {
                    "child_id": pd.array(["C1", pd.NA, "C3"], dtype="string"),
                    "date_of_birth": pd.to_datetime(pd.Series(["2010-01-02", None, "2015-06-30"])),
                    "sex": pd.array([pd.NA, pd.NA, pd.NA], dtype="string"),  # all missing
                    "ethnicity": pd.array(["WBRI", "", pd.NA], dtype="string"),
                    "disability": pd.array([True, pd.NA, False], dtype="boolean"),
                    "uasc": pd.array([pd.NA, pd.NA, pd.NA], dtype="boolean"),
                    "_file": pd.array(["a.xml", "a.xml", "b.csv"], dtype="string"),
                    "_location": pd.array(["line 1", "line 2", pd.NA], dtype="string"),
                }
            ),
        ],
        ignore_index=True,
    ).astype(child.dtypes.to_dict())
    cp_plan = empty_table("cp_plan")
    cp_plan["number_of_previous_cpp"] = cp_plan["number_of_previous_cpp"].astype("Int64")
    extract.tables["child"] = child
    extract.tables["cla_episode"] = empty_table("cla_episode").iloc[0:0]
    extract.findings = [
        Finding("FILE_ENCODING", Severity.ERROR, "Bad bytes", file="b.csv", location="line 9"),
        Finding("8610", Severity.QUERY, "Odd", child_id="C1", field="sex"),
    ]
    assert set(extract.tables) == set(TABLES)

    assert_same(extract, stored.loads(stored.dumps(extract)))


def test_an_unreadable_extract_round_trips_without_its_findings() -> None:
    extract = Extract(unreadable=True, findings=[Finding("NO_RECORDS", Severity.ERROR, "None")])

    assert_same(extract, stored.loads(stored.dumps(extract)))


def test_a_blob_of_another_version_or_kind_is_refused(generated: Extract) -> None:
    with pytest.raises(stored.UnknownVersion):
        stored.loads(b"not a zip at all")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.json", '{"version": 99}')
    with pytest.raises(stored.UnknownVersion):
        stored.loads(buffer.getvalue())
