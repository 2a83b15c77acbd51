"""The indicator registry: complete, consistent, and tied to real published series."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import indicators
from indicators.registry import REGISTRY, FrameworkArea, Kind, Unit, get
from submissions.extract.canonical import TABLES

IDS = {
    "repeat_cpp_12m",
    "repeat_cpp_ever",
    "nfa_at_assessment",
    "nfa_reassessed_6m",
    "nfa_reassessed_12m",
    "cla_missing_pct",
    "cla_away_pct",
    "missing_episodes_per_child",
    "missing_at_period_end",
    "rereferral_12m",
    "cpp_open_2yrs",
    "cin_rate",
    "cpp_rate",
    "cla_rate",
}


def test_exactly_the_agreed_indicators() -> None:
    assert set(REGISTRY) == IDS
    assert all(get(i).id == i for i in IDS)


@pytest.mark.parametrize("indicator_id", sorted(IDS))
def test_every_entry_is_complete(indicator_id: str) -> None:
    indicator = REGISTRY[indicator_id]
    for text in (indicator.title, indicator.definition, indicator.numerator, indicator.topic):
        assert text.strip()
    assert indicator.denominator.strip()
    assert indicator.framework_area.is_outcome
    assert indicator.source_tables
    assert set(indicator.source_tables) <= set(TABLES)
    assert indicator.source_formats
    assert indicator.caveats
    assert "not a performance measure" in indicator.guidance


def test_units_kinds_and_look_backs_follow_the_definitions() -> None:
    rates = {i for i, x in REGISTRY.items() if x.unit is Unit.RATE_PER_10K}
    assert rates == {"cin_rate", "cpp_rate", "cla_rate"}
    assert {i for i, x in REGISTRY.items() if x.unit is Unit.COUNT} == {"missing_at_period_end"}
    assert {i for i, x in REGISTRY.items() if x.unit is Unit.RATIO} == {
        "missing_episodes_per_child"
    }
    snapshots = {i for i, x in REGISTRY.items() if x.kind is Kind.SNAPSHOT}
    assert snapshots == rates | {"cpp_open_2yrs", "missing_at_period_end"}
    look_back = {i: x.look_back_months for i, x in REGISTRY.items() if x.look_back_months}
    assert look_back == {
        "repeat_cpp_12m": 12,
        "rereferral_12m": 12,
        "nfa_reassessed_6m": 6,
        "nfa_reassessed_12m": 12,
    }
    assert not any(REGISTRY[i].breakdowns for i in rates)


def test_framework_areas() -> None:
    assert REGISTRY["rereferral_12m"].framework_area is FrameworkArea.STAY_TOGETHER
    assert REGISTRY["repeat_cpp_12m"].framework_area is FrameworkArea.SAFE
    assert REGISTRY["cla_missing_pct"].framework_area is FrameworkArea.SAFE


@pytest.mark.parametrize("indicator_id", sorted(i for i in IDS if REGISTRY[i].published))
def test_every_published_key_is_in_the_catalogue_in_the_same_unit(indicator_id: str) -> None:
    from dashboards.published.catalogue import SPECS

    series = REGISTRY[indicator_id].published
    assert series is not None
    assert series.key in SPECS, f"{indicator_id}: no published indicator {series.key!r}"
    assert str(SPECS[series.key].unit) == str(REGISTRY[indicator_id].unit)


@pytest.mark.parametrize("module", ["registry.py", "calculators.py", "disclosure.py"])
def test_no_django_imports(module: str) -> None:
    tree = ast.parse((Path(indicators.__file__).parent / module).read_text())
    imported = [
        name
        for node in ast.walk(tree)
        for name in (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
    ]
    assert not [name for name in imported if name.split(".")[0] == "django"]
