"""``manage.py check_extract``: the offline checker, run in-process and as a real command.

No test here requests the ``db`` fixture, so pytest-django blocks any database query: the
command must work without one. The subprocess runs also point DATABASE_URL at a server that
does not exist.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = Path("/work/shared/data/samples")
CIN_SAMPLE = SAMPLES / "csc-validator-be-cin" / "CIN_Census_2024.xml"

HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
EPISODES = (
    "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,"
    "URN\n"
)
PERIOD = ["--as-of", "2025-03-31", "--from", "2024-04-01"]


@pytest.fixture
def clean_903(tmp_path: Path) -> list[Path]:
    """A valid 903 return: one child with one open episode."""
    (tmp_path / "clean").mkdir()
    header = tmp_path / "clean" / "header.csv"
    header.write_text(HEADER + "1001,1,01/06/2015,WBRI,UN1,0,\n")
    episodes = tmp_path / "clean" / "episodes.csv"
    episodes.write_text(EPISODES + "1001,01/05/2024,S,C2,N1,U1,PR1,,,,,,\n")
    return [header, episodes]


@pytest.fixture
def faulty_903(tmp_path: Path) -> list[Path]:
    """A 903 return with one error: an episode ending before it started."""
    (tmp_path / "faulty").mkdir()
    header = tmp_path / "faulty" / "header.csv"
    header.write_text(HEADER + "1001,1,01/06/2015,WBRI,UN1,0,\n1002,2,01/06/2016,WBRI,UN1,0,\n")
    episodes = tmp_path / "faulty" / "episodes.csv"
    episodes.write_text(
        EPISODES
        + "1001,01/05/2024,S,C2,N1,U1,PR1,01/04/2024,E13,,,,\n"
        + "1002,01/05/2024,S,C2,N1,U1,PR1,,,,,,\n"
    )
    return [header, episodes]


def run(*args: str) -> tuple[int, str]:
    """call_command, returning (exit status, stdout)."""
    out = io.StringIO()
    try:
        call_command("check_extract", *args, stdout=out)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def run_process(*args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        # Any attempt to reach a database fails loudly.
        "DATABASE_URL": "postgres://nobody:none@127.0.0.1:9/no_such_db",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check_extract", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_no_errors_exits_0(clean_903: list[Path]) -> None:
    status, out = run(*map(str, clean_903), *PERIOD)
    assert status == 0, out
    assert "RESULT: no errors" in out


def test_errors_exit_1_and_are_listed_by_rule(faulty_903: list[Path]) -> None:
    status, out = run(*map(str, faulty_903), *PERIOD)
    assert status == 1
    assert "SSDA903 CSV" in out
    assert "cla_episode 2" in out
    assert (
        "356 (error, 1): The date the episode ceased is before the date the same episode started."
        in out
    )
    assert "episodes.csv  line 2  child 1001  field end_date" in out


def test_json_has_exactly_the_documented_shape(faulty_903: list[Path]) -> None:
    status, out = run(*map(str, faulty_903), *PERIOD, "--la", "201", "--json")
    assert status == 1
    document = json.loads(out)
    assert list(document) == ["la", "as_of", "formats", "findings", "not_applicable", "indicators"]
    assert document["la"] == "201"
    assert document["as_of"] == "2025-03-31"
    assert document["formats"] == ["ssda903_csv"]
    # A 903-only extract: the CIN indicators have no data; the row shape is fixed.
    assert {r["status"] for r in document["indicators"] if r["id"] == "rereferral_12m"} == {
        "no_data"
    }
    keys = ["code", "severity", "file", "location", "child_id", "field", "message"]
    assert all(list(f) == keys for f in document["findings"])
    assert {
        "code": "356",
        "severity": "error",
        "file": "episodes.csv",
        "location": "line 2",
        "child_id": "1001",
        "field": "end_date",
        "message": "The date the episode ceased is before the date the same episode started.",
    } in document["findings"]


def test_the_json_has_every_indicator_series_with_statuses(tmp_path: Path) -> None:
    from datetime import date

    from indicators.registry import REGISTRY
    from submissions.synthetic.model import generate
    from submissions.synthetic.writers import write_extract

    extract = generate("370", date(2023, 4, 1), date(2026, 3, 31), children=800, seed=2)
    paths = [p for ps in write_extract(extract, tmp_path, ["cin", "903"]).values() for p in ps]

    _, out = run(*map(str, paths), "--la", "370", "--json")
    rows = json.loads(out)["indicators"]

    assert {r["id"] for r in rows} == set(REGISTRY)
    assert set(rows[0]) == {"id", "period_start", "period_end", "numerator", "denominator",
                            "value", "status"}  # fmt: skip
    last = {r["id"]: r for r in rows if r["period_end"] == "2026-03-31"}
    assert all(r["status"] == "ok" for r in last.values()), last
    first = {r["id"]: r for r in rows if r["period_end"] == "2024-03-31"}
    # No look-back before April 2023: the first year's repeat and re-referral figures cannot
    # be computed, and say so rather than showing 0.
    assert first["rereferral_12m"]["status"] == "insufficient_history"
    assert first["rereferral_12m"]["value"] is None
    assert first["cpp_open_2yrs"]["status"] == "ok"


def test_the_text_listing_is_capped_per_rule(tmp_path: Path) -> None:
    rows = "".join(f"{n},01/05/2024,S,C2,N1,U1,PR1,01/04/2024,E13,,,,\n" for n in range(25))
    episodes = tmp_path / "episodes.csv"
    episodes.write_text(EPISODES + rows)
    status, out = run(str(episodes), *PERIOD)
    assert status == 1
    section = out.split("356 (error, 25)")[1].split("\n\n")[0]
    assert section.count("episodes.csv") == 20
    assert "…and 5 more (use --json for all)" in section
    _, as_json = run(str(episodes), *PERIOD, "--json")
    assert sum(f["code"] == "356" for f in json.loads(as_json)["findings"]) == 25


def test_an_unreadable_file_exits_2(tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("these are not the files you are looking for\n")
    status, out = run(str(junk), "--json")
    assert status == 2
    (finding,) = json.loads(out)["findings"]
    assert finding["code"] == "FILE_FORMAT"
    assert finding["file"] == "notes.txt"


def test_a_missing_path_is_a_usage_error_with_status_2(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No such file") as caught:
        call_command("check_extract", str(tmp_path / "absent.csv"))
    assert caught.value.returncode == 2


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--as-of", "31/03/2025", "--as-of must be a date written YYYY-MM-DD"),
        ("--from", "2024-02-30", "--from must be a date written YYYY-MM-DD"),
        ("--year", "2019_20", "--year must be one of 2023_24, 2024_25, 2025_26"),
    ],
)
def test_bad_arguments_are_usage_errors_with_status_2(
    clean_903: list[Path], option: str, value: str, message: str
) -> None:
    with pytest.raises(CommandError, match=message) as caught:
        call_command("check_extract", str(clean_903[0]), option, value)
    assert caught.value.returncode == 2


def test_the_year_option_picks_the_rule_set(clean_903: list[Path]) -> None:
    # The 903 header codes sex 1/2 until 2024/25; readers map them to M/F either way.
    _, out = run(*map(str, clean_903), *PERIOD, "--year", "2023_24")
    assert "Rules: collection year 2023-24" in out


@pytest.mark.skipif(not CIN_SAMPLE.exists(), reason="peer sample files not available")
def test_command_line_on_the_peer_cin_sample() -> None:
    result = run_process(str(CIN_SAMPLE), "--json")
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    assert document["formats"] == ["cin_census_xml"]
    assert document["as_of"] == "2024-03-31"
    codes = {f["code"] for f in document["findings"]}
    assert {"1103", "8608", "8620"} <= codes


def test_command_line_exit_statuses(
    clean_903: list[Path], faulty_903: list[Path], tmp_path: Path
) -> None:
    assert run_process(*map(str, clean_903), *PERIOD).returncode == 0
    faulty = run_process(*map(str, faulty_903), *PERIOD)
    assert faulty.returncode == 1
    assert "RESULT: 1 error and 0 queries." in faulty.stdout
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert run_process(str(empty)).returncode == 2
    absent = run_process(str(tmp_path / "absent.csv"))
    assert absent.returncode == 2
    assert "No such file" in absent.stderr
    bad_date = run_process(str(clean_903[0]), "--as-of", "yesterday")
    assert bad_date.returncode == 2
    assert "--as-of must be a date written YYYY-MM-DD" in bad_date.stderr
