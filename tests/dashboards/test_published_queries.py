"""The query API the public dashboard pages call (``dashboards.published.queries``)."""

from __future__ import annotations

import statistics
from decimal import Decimal
from typing import Any

import pytest

from dashboards.presentation.formatting import format_value
from dashboards.published.catalogue import (
    INDICATORS,
    MISSING_FROM_CARE,
    NATIONAL_CODE,
    RESTRICTED_ONLY,
)
from dashboards.published.queries import (
    NO_DATA,
    Group,
    IndicatorMeta,
    NotFound,
    Order,
    Point,
    Series,
    SummaryRow,
    Trend,
    Value,
    all_las,
    get_indicator,
    indicator_groups,
    la_summary,
    local_authorities,
    periods,
    regional_comparison,
    time_series,
)
from tests.dashboards.test_published_loader import loaded  # noqa: F401 (module fixture)

pytestmark = pytest.mark.usefixtures("loaded", "db")


def row(series: Series, period: str) -> Any:
    return next(item for item in series.rows if item.period == period)


# --- indicator lists and metadata -------------------------------------------------------------


def test_groups_are_outcomes_then_enablers_with_headings_in_page_order(
    django_assert_num_queries: Any,
) -> None:
    with django_assert_num_queries(1):
        groups = indicator_groups()
    assert all(isinstance(group, Group) for group in groups)
    assert [group.title[:11] for group in groups] == [
        "Outcome 1: ",
        "Outcome 2: ",
        "Outcome 3: ",
        "Outcome 4: ",
        "Enabler: Le",
        "Enabler: Th",
    ]
    assert [group.is_outcome for group in groups] == [True, True, True, True, False, False]
    first = groups[0].headings[0]
    assert first.title == "Access to support and getting help"
    assert [item.key for item in first.indicators][:2] == ["cin_rate", "rereferral_12m"]
    keys = [item.key for g in groups for h in g.headings for item in h.indicators]
    assert keys == [spec.key for spec in INDICATORS if spec.public]
    assert first.indicators[1].unit == "percent"


def test_get_indicator_returns_metadata_or_none(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        meta = get_indicator("repeat_cpp")
    assert isinstance(meta, IndicatorMeta)
    assert meta.unit == "percent"
    assert meta.decimals == 1
    assert meta.latest_period == "2025"
    assert meta.periods[0] == "2013"
    assert meta.period_type_label == "Year ending 31 March"
    assert meta.sn_aggregation == "median"
    assert "d3_cpps_subsequent_plan_2013_to_2025.csv" in meta.source
    assert meta.source_url.startswith("https://explore-education-statistics")
    assert meta.dfe_sort_order == 23
    assert get_indicator("no-such-indicator") is None
    adoption = get_indicator("adoption_decision_to_match_months")
    assert adoption is not None
    assert adoption.national_only
    assert adoption.caveats


def test_periods_and_local_authorities(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        labels = periods("absence_overall_cla")
    assert labels == ["2018/19", "2019/20", "2020/21", "2021/22", "2022/23", "2023/24", "2024/25"]
    assert periods("unknown") == []
    with django_assert_num_queries(1):
        las = local_authorities()
    assert len(las) == 153
    assert ("202", "Camden", "London") in las
    assert [name for _, name, _ in las] == sorted(name for _, name, _ in las)
    with_old = local_authorities(include_predecessors=True)
    assert len(with_old) == 158
    assert ("928", "Northamptonshire", "East Midlands") in with_old


# --- time series ------------------------------------------------------------------------------


def test_time_series_compares_la_region_england_and_neighbours(
    django_assert_max_num_queries: Any,
) -> None:
    with django_assert_max_num_queries(3):
        series = time_series("repeat_cpp", "370")
    assert series.la.name == "Barnsley"
    assert series.region is not None
    assert series.region.code == "E12000003"
    assert series.england.code == NATIONAL_CODE
    assert len(series.neighbours) == 10
    assert series.neighbours[0].name == "Rotherham"
    assert [item.period for item in series.rows] == list(series.indicator.periods)
    latest = row(series, "2025")
    assert latest.la == Value(Decimal("28.2"), "", "28.2%")
    assert latest.england.display == "24.5%"
    assert latest.region.display == "24.7%"
    # Neighbours 21.1 21.2 21.6 22.7 25.5 | 27.6 27.7 28.1 29.5 31: median (25.5 + 27.6) / 2.
    assert latest.neighbours.value == Decimal("26.55")
    assert latest.neighbours.display == "26.6%"


def test_neighbour_median_ignores_suppressed_values_as_the_dfe_does() -> None:
    # Bracknell Forest 2024: nine numeric neighbours (Hampshire is 'u'); by hand the middle of
    # 16, 25.6, 25.8, 26, 27, 27.6, 28.4, 30.4, 34.9 is 27.
    latest = row(time_series("repeat_cpp", "867"), "2024")
    assert latest.neighbours.value == Decimal("27")
    assert latest.neighbours.display == "27.0%"


def test_neighbour_sum_for_counts() -> None:
    # Barnsley 2024, children missing at 31 March: neighbours 0, 0, c, 7, c, c, c, 0, 0, c.
    # A restricted-only measure: the restricted dashboards ask for it explicitly.
    series = time_series("missing_at_period_end", "370", include_restricted=True)
    assert row(series, "2024").neighbours.value == Decimal(7)


# --- restricted-only indicators (the missing-children measures) --------------------------------


def test_the_four_missing_children_measures_are_restricted_only() -> None:
    missing = {spec.key for spec in INDICATORS if spec.source == MISSING_FROM_CARE}
    assert missing == {
        "cla_missing_pct",
        "cla_away_pct",
        "missing_episodes_per_child",
        "missing_at_period_end",
    }
    assert missing == RESTRICTED_ONLY


@pytest.mark.parametrize("key", sorted(RESTRICTED_ONLY))
def test_restricted_only_measures_are_unknown_to_every_public_query(key: str) -> None:
    public_keys = {
        item.key for g in indicator_groups() for h in g.headings for item in h.indicators
    }
    assert key not in public_keys
    assert get_indicator(key) is None
    assert periods(key) == []
    with pytest.raises(NotFound):
        time_series(key, "370")
    with pytest.raises(NotFound):
        regional_comparison(key)
    with pytest.raises(NotFound):
        all_las(key)
    assert key not in {item.indicator.key for item in la_summary("370")}


@pytest.mark.parametrize("key", sorted(RESTRICTED_ONLY))
def test_restricted_only_measures_stay_loaded_as_restricted_comparators(key: str) -> None:
    series = time_series(key, "370", include_restricted=True)
    assert series.indicator.key == key
    assert series.indicator.periods
    assert any(item.england.value is not None for item in series.rows)
    assert any(item.la.status != "missing" for item in series.rows)


def test_london_boroughs_are_compared_with_inner_or_outer_london() -> None:
    camden = time_series("cla_rate", "202")
    assert camden.region is not None
    assert (camden.region.code, camden.region.name) == ("E13000001", "Inner London")
    assert row(camden, "2025").region.value is not None
    barnet = time_series("cla_rate", "302")
    assert barnet.region is not None
    assert barnet.region.name == "Outer London"


def test_suppressed_values_show_their_code() -> None:
    series = time_series("placement_foster", "201")
    latest = row(series, "2025")
    assert latest.la.status == "suppressed"
    assert latest.la.display == "-"
    assert latest.la.value is None
    assert latest.la.explanation
    assert NO_DATA.status == "missing"


def test_joint_returns_carry_a_note_and_stay_out_of_neighbour_medians() -> None:
    latest = row(time_series("sw_turnover_rate", "314"), "2025")
    assert latest.la.value == Decimal("28")
    assert "Richmond upon Thames" in latest.la.note
    # Kingston (314) is Richmond's second neighbour, but its joint figure is not counted.
    richmond = time_series("sw_turnover_rate", "318")
    assert richmond.neighbours[1].code == "314"
    others = [
        point.value.value
        for point in all_las("sw_turnover_rate", "2025", "318", neighbours_only=True)
        if point.neighbour_rank and not point.value.note and point.value.value is not None
    ]
    assert row(richmond, "2025").neighbours.value == statistics.median(others)
    northamptonshire = row(time_series("sw_turnover_rate", "940"), "2025")
    assert "West Northamptonshire" in northamptonshire.la.note


def test_time_series_of_an_abolished_la() -> None:
    series = time_series("cin_rate", "928")
    assert series.neighbours == ()
    assert series.region is not None
    assert series.region.name == "East Midlands"
    assert row(series, "2021").la.value is not None
    assert row(series, "2022").la is NO_DATA
    assert all(item.neighbours is NO_DATA for item in series.rows)


def test_a_new_authority_has_no_neighbour_comparator_before_it_existed() -> None:
    series = time_series("repeat_cpp", "940")
    assert row(series, "2021").la is NO_DATA
    assert row(series, "2021").neighbours is NO_DATA
    assert row(series, "2022").neighbours.value is not None


def test_unknown_indicator_or_la_raise_not_found() -> None:
    with pytest.raises(NotFound):
        time_series("nope", "370")
    with pytest.raises(NotFound):
        time_series("repeat_cpp", "000")
    with pytest.raises(NotFound):
        regional_comparison("nope")
    with pytest.raises(NotFound):
        all_las("nope")
    with pytest.raises(NotFound):
        la_summary("000")


# --- regional and all-LA comparisons ----------------------------------------------------------


def test_regional_comparison_lists_england_then_regions(
    django_assert_num_queries: Any,
) -> None:
    with django_assert_num_queries(2):
        points = regional_comparison("cla_rate")
    assert all(isinstance(point, Point) for point in points)
    assert [point.geography.code for point in points] == [
        NATIONAL_CODE,
        "E12000001",
        "E12000002",
        "E12000003",
        "E12000004",
        "E12000005",
        "E12000006",
        "E12000007",
        "E13000001",
        "E13000002",
        "E12000008",
        "E12000009",
    ]
    assert points[0].value.display == "67"
    assert {point.period for point in points} == {"2025"}
    earlier = regional_comparison("cla_rate", "2021")
    assert {point.period for point in earlier} == {"2021"}
    assert [p.geography.code for p in regional_comparison("adoption_decision_to_match_months")] == [
        NATIONAL_CODE
    ]


def test_all_las_by_value_sorted_with_suppressed_last_and_the_la_flagged(
    django_assert_num_queries: Any,
) -> None:
    with django_assert_num_queries(2):
        points = all_las("cpp_open_2yrs", la_code="370", order=Order.VALUE)
    assert len(points) == 153
    statuses = [point.value.status for point in points]
    assert statuses == sorted(statuses, key=["number", "suppressed", "missing"].index)
    numbers = [point.value.value for point in points if point.value.value is not None]
    assert numbers == sorted(numbers)
    assert "suppressed" in statuses
    assert [point.geography.code for point in points if point.selected] == ["370"]
    assert {point.period for point in points} == {"2025"}
    camden = next(point for point in points if point.geography.code == "202")
    assert camden.region_name == "Inner London"


def test_all_las_neighbours_only(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(3):
        points = all_las("cla_rate", "2024", "370", neighbours_only=True)
    assert len(points) == 11
    assert sorted(p.neighbour_rank for p in points if not p.selected) == list(range(1, 11))  # type: ignore[type-var]
    selected = [point for point in points if point.selected]
    assert len(selected) == 1
    assert selected[0].neighbour_rank is None
    with pytest.raises(ValueError, match="la_code"):
        all_las("cla_rate", neighbours_only=True)


def test_all_las_is_empty_for_england_only_indicators() -> None:
    assert all_las("adoption_decision_to_match_months", la_code="370") == []


# --- LA summary -------------------------------------------------------------------------------


def test_la_summary_has_every_indicator_with_trend_and_comparators(
    django_assert_max_num_queries: Any,
) -> None:
    with django_assert_max_num_queries(3):
        summary = la_summary("370")
    assert all(isinstance(item, SummaryRow) for item in summary)
    assert [item.indicator.key for item in summary] == [
        spec.key for spec in INDICATORS if spec.public
    ]
    repeat = next(item for item in summary if item.indicator.key == "repeat_cpp")
    assert (repeat.period, repeat.previous_period) == ("2025", "2024")
    assert repeat.la.display == "28.2%"
    assert repeat.previous.display == "29.7%"
    assert repeat.trend == Trend.DOWN
    assert repeat.england.display == "24.5%"
    assert repeat.region.display == "24.7%"
    assert repeat.neighbours.display == "26.6%"
    adoption = next(item for item in summary if item.indicator.key.startswith("adoption"))
    assert adoption.la is NO_DATA
    assert adoption.trend == Trend.NOT_COMPARABLE
    assert adoption.england.value == Decimal(10)


def test_trend_compares_at_the_precision_shown() -> None:
    summary = {item.indicator.key: item for item in la_summary("370")}
    for item in summary.values():
        if item.trend == Trend.SAME:
            assert item.la.display == item.previous.display
        elif item.trend != Trend.NOT_COMPARABLE:
            assert item.la.display != item.previous.display


# --- formatting -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "decimals", "shown"),
    [
        ("22.6", "percent", 1, "22.6%"),
        ("26.55", "percent", 1, "26.6%"),
        ("330.295881", "rate_per_10k", 0, "330"),
        ("12183016", "count", 0, "12,183,016"),
        ("1234.5", "currency", 0, "£1,235"),
        ("15.2", "ratio", 1, "15.2"),
        ("0.5", "months", 0, "1"),
    ],
)
def test_format_value(value: str, unit: str, decimals: int, shown: str) -> None:
    assert format_value(Decimal(value), unit, decimals) == shown
