"""Downloads of the restricted dashboards (``dashboards.exports``, ``dashboards.views.exports``).

The done-when of issue 12: every table a DfE role can reach, exported as CSV and as XLSX, has
no count from 1 to 4 and no hidden cell that the others determine. LA users get their own LA
unsuppressed, outsiders a 404; every cell is safe to open in a spreadsheet; every download is
audited.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.http import FileResponse, StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from dashboards import exports
from dashboards.exports import COLUMNS, DIMENSION_LABELS
from dashboards.views.restricted import KEY_INDICATORS
from indicators.disclosure import is_small
from indicators.models import IndicatorBreakdown, IndicatorValue
from indicators.registry import REGISTRY, Unit
from portal.access import Action, local_authorities_for
from portal.models import AuditAction, AuditEvent, LocalAuthority
from submissions.models import Submission
from tests.indicators.attacker import counted, determined_under_the_rule, possible_values
from tests.portal_submissions.factories import make_submission

pytestmark = pytest.mark.django_db

MARCH, FEBRUARY, YEAR_BEFORE = date(2024, 3, 31), date(2024, 2, 29), date(2023, 3, 31)
YORKSHIRE = "E12000003"
INJECTED = '=HYPERLINK("http://evil.example","x")'
DFE_ROLES = ["case_lead", "risl", "analyst"]
Row = dict[str, str]


def _start(end: date) -> date:
    return date(end.year - 1, end.month % 12 + 1, 1)


def _value(sub: Submission, indicator_id: str, end: date, n: int | None, d: int | None,
           status: str = "ok") -> None:  # fmt: skip
    unit = REGISTRY[indicator_id].unit
    if n is None:
        value = None
    elif unit is Unit.COUNT:
        value = Decimal(n)
    else:
        scale = 10_000 if unit is Unit.RATE_PER_10K else 1 if unit is Unit.RATIO else 100
        value = Decimal(f"{scale * n / d:.1f}") if d else None
    IndicatorValue.objects.create(
        local_authority=sub.local_authority, submission=sub, indicator_id=indicator_id,
        period_start=_start(end), period_end=end, numerator=n, denominator=d, value=value,
        status=status,
    )  # fmt: skip


def _groups(sub: Submission, indicator_id: str, end: date, dimension: str,
            groups: list[tuple[str, int, int]]) -> None:  # fmt: skip
    for category, n, d in groups:
        IndicatorBreakdown.objects.create(
            local_authority=sub.local_authority, submission=sub, indicator_id=indicator_id,
            period_end=end, dimension=dimension, category=category, numerator=n, denominator=d,
            value=Decimal(f"{100 * n / d:.1f}") if d else None, status="ok",
        )  # fmt: skip


def _accepted(la_code: str) -> Submission:
    submission = make_submission(la_code, Submission.Status.ACCEPTED)
    # As ``indicators.services.store_indicators`` does when it stores an LA's figures.
    Submission.objects.filter(pk=submission.pk).update(indicators_computed_at=timezone.now())
    submission.refresh_from_db()
    return submission


@pytest.fixture
def figures(personas: dict[str, Any]) -> dict[str, Submission]:
    """Barnsley: re-referrals with a small February (4 of 60) and, in March (40 of 200), a
    breakdown by sex and by ethnicity with exactly one small group each (so one more is hidden
    with it) and by age with none; a count of 2 and a rate from 3 children. Leeds: two small
    groups of three. Camden (the analyst's only): large numbers."""
    barnsley = _accepted("370")
    for end, n, d in ((YEAR_BEFORE, 10, 50), (FEBRUARY, 4, 60), (MARCH, 40, 200)):
        _value(barnsley, "rereferral_12m", end, n, d)
    _groups(barnsley, "rereferral_12m", MARCH, "sex",
            [("Male", 20, 100), ("Female", 17, 95), ("Unknown", 3, 5)])  # fmt: skip
    _groups(barnsley, "rereferral_12m", MARCH, "ethnicity",
            [("White", 30, 150), ("Asian", 6, 30), (INJECTED, 4, 20)])  # fmt: skip
    _groups(barnsley, "rereferral_12m", MARCH, "age_band",
            [("Under 1", 0, 10), ("1 to 4", 40, 190)])  # fmt: skip
    _groups(barnsley, "rereferral_12m", FEBRUARY, "sex", [("Male", 4, 30), ("Female", 0, 30)])
    for end, n in ((YEAR_BEFORE, 12), (FEBRUARY, 0), (MARCH, 2)):
        _value(barnsley, "missing_at_period_end", end, n, None)
    _value(barnsley, "cin_rate", FEBRUARY, 300, 51_799)
    _value(barnsley, "cin_rate", MARCH, 3, 51_799)
    _value(barnsley, "nfa_reassessed_12m", MARCH, None, None, status="incomplete_follow_up")

    leeds = _accepted("383")
    _value(leeds, "rereferral_12m", YEAR_BEFORE, 45, 240)
    _value(leeds, "rereferral_12m", MARCH, 50, 250)
    _groups(leeds, "rereferral_12m", MARCH, "disability",
            [("Yes", 1, 20), ("No", 45, 200), ("Unknown", 4, 30)])  # fmt: skip

    camden = _accepted("202")
    _value(camden, "rereferral_12m", MARCH, 90, 300)
    return {"370": barnsley, "383": leeds, "202": camden}


@pytest.fixture
def as_persona(personas: dict[str, Any]) -> Callable[[str], Client]:
    def client_for(name: str) -> Client:
        client = Client()
        client.force_login(personas[name])
        return client

    return client_for


# --- reading a download back -----------------------------------------------------------------


def _body(response: Any) -> bytes:
    assert response.status_code == 200, response.status_code
    assert isinstance(response, StreamingHttpResponse | FileResponse)
    return response.getvalue()


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_csv(response: Any) -> list[Row]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    [header, *rows] = list(csv.reader(io.StringIO(_body(response).decode("utf-8-sig"))))
    assert header == list(COLUMNS)
    return [dict(zip(header, row, strict=True)) for row in rows]


def read_xlsx(response: Any) -> dict[str, list[Any]]:
    """Every sheet's rows (openpyxl cells, so their types can be checked)."""
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    book = load_workbook(io.BytesIO(_body(response)), read_only=True)
    return {sheet.title: list(sheet.iter_rows()) for sheet in book.worksheets}


def xlsx_tables(sheets: dict[str, list[Any]]) -> list[Row]:
    """The data sheets' rows as dicts (every sheet but the cover)."""
    rows = []
    for name, cells in sheets.items():
        if name == "Cover":
            continue
        header = [c.value for c in cells[0]]
        assert header == list(COLUMNS), name
        rows += [dict(zip(header, (_text(c.value) for c in row), strict=True)) for row in cells[1:]]
    return rows


def download(client: Client, name: str, *args: str, **params: str) -> list[Row]:
    """The rows of a download, in the format its last argument names."""
    response = client.get(reverse(f"restricted_dashboards:{name}", args=args), params)
    return read_csv(response) if args[-1] == "csv" else xlsx_tables(read_xlsx(response))


# --- what a DfE role can reach ---------------------------------------------------------------


def reachable_downloads(user: Any) -> Iterator[tuple[str, tuple[str, ...], dict[str, str]]]:
    """Every export a user can reach: the dashboard and every indicator (each period with
    breakdowns too) of every LA in scope that has figures, and one that has none; the
    portfolio as the page shows it (the key indicators), of every indicator, and of their
    region."""
    in_scope = local_authorities_for(user, Action.VIEW_DASHBOARD)
    with_figures = set(IndicatorValue.objects.values_list("local_authority__code", flat=True))
    codes = sorted(with_figures & set(in_scope.values_list("code", flat=True)))
    empty = in_scope.exclude(code__in=with_figures).order_by("code").first()
    codes += [empty.code] if empty else []
    for fmt in ("csv", "xlsx"):
        for code in codes:
            yield "la_export", (code, fmt), {}
            for indicator_id in REGISTRY:
                yield "indicator_export", (code, indicator_id, fmt), {}
                periods = IndicatorBreakdown.objects.filter(
                    local_authority__code=code, indicator_id=indicator_id
                ).values_list("period_end", flat=True)
                for period in sorted(set(periods)):
                    yield "indicator_export", (code, indicator_id, fmt), {"period": str(period)}
        yield "portfolio_export", (fmt,), {}
        for indicator_id in REGISTRY:
            yield "portfolio_export", (fmt,), {"indicator": indicator_id}
        yield "portfolio_export", (fmt,), {"region": YORKSHIRE}


def _stored() -> dict[tuple[str, ...], tuple[int | None, int | None]]:
    """The figures as stored, by (LA, indicator, period end, breakdown topic, breakdown)."""
    truth: dict[tuple[str, ...], tuple[int | None, int | None]] = {}
    for v in IndicatorValue.objects.select_related("local_authority"):
        key = (v.local_authority.code, v.indicator_id, str(v.period_end), "Total", "Total")
        truth[key] = (v.numerator, v.denominator)
    for b in IndicatorBreakdown.objects.select_related("local_authority"):
        topic = DIMENSION_LABELS[b.dimension]
        category = "'" + b.category if b.category.startswith("=") else b.category
        key = (b.local_authority.code, b.indicator_id, str(b.period_end), topic, category)
        truth[key] = (b.numerator, b.denominator)
    return truth


def _key(row: Row) -> tuple[str, ...]:
    return (
        row["old_la_code"],
        row["indicator"],
        row["period_end"],
        row["breakdown_topic"],
        row["breakdown"],
    )


def _count(cell: str) -> int | None:
    return int(cell) if cell.isdigit() else None


def assert_disclosure_controlled(rows: list[Row], truth: dict[tuple[str, ...], Any]) -> int:
    """No count of 1 to 4; a row hidden whole, and hidden wherever a stored count is 1 to 4;
    shown numbers as stored; no hidden cell determined by its table's shown cells and total.
    Returns how many hidden cells were tried against the total."""
    tables: dict[tuple[str, ...], list[Row]] = defaultdict(list)
    totals: dict[tuple[str, ...], Row] = {}
    for row in rows:
        for column in ("numerator", "denominator"):
            assert not is_small(_count(row[column])), f"a small count is shown: {row}"
        assert row["suppression"] in {"", "suppressed"}, "why a row is hidden is never said"
        if row["suppression"]:
            assert (row["numerator"], row["value"]) == ("c", "c"), row
            assert row["denominator"] in {"c", "z"}, row
        if not row["period_end"]:
            assert row["status"] in {"no_submission", "no_figure"}
            continue
        numerator, denominator = truth[_key(row)]
        if is_small(numerator) or is_small(denominator):
            assert row["suppression"] == "suppressed", f"a small number is not hidden: {row}"
        elif not row["suppression"]:
            assert (_count(row["numerator"]), _count(row["denominator"])) == (
                numerator,
                denominator,
            ), row
        if row["breakdown_topic"] == "Total":
            totals[_key(row)[:3]] = row
        else:
            tables[(*_key(row)[:3], row["breakdown_topic"])].append(row)
    tried = 0
    for key, groups in tables.items():
        total = totals.get(key[:3])
        assert total is not None, f"a breakdown without its total in the same download: {key}"
        if total["suppression"]:
            continue  # the groups add up to an unknown
        hidden = [g for g in groups if g["suppression"]]
        counts = total["denominator"] == "z"
        numerators = int(total["numerator"]) - sum(
            int(g["numerator"]) for g in groups if not g["suppression"]
        )
        denominators = (
            None
            if counts
            else int(total["denominator"])
            - sum(int(g["denominator"]) for g in groups if not g["suppression"])
        )
        # And for an attacker who also knows the rule (the groups in the order shown).
        pairs = [(n or 0, None if counts else d or 0) for n, d in (truth[_key(g)] for g in groups)]
        if hidden:
            true_total = truth[_key(total)]
            assert (
                determined_under_the_rule(
                    pairs, counted, (true_total[0] or 0, None if counts else true_total[1] or 0)
                )
                == {}
            ), f"derivable by someone who knows the rule: {key}"
            tried += 1
        for group in hidden:
            true = dict(zip(("numerator", "denominator"), truth[_key(group)], strict=True))
            for field in ["numerator"] if counts else ["numerator", "denominator"]:
                possible = possible_values(len(hidden) - 1, field, numerators, denominators)
                assert true[field] in possible
                assert len(possible) > 1 or true[field] == 0, f"{field} derivable: {group}"
                tried += 1
    return tried


@pytest.mark.parametrize("persona", DFE_ROLES)
def test_no_table_a_dfe_role_can_export_shows_or_lets_derive_a_small_number(
    persona: str,
    personas: dict[str, Any],
    figures: dict[str, Submission],
    as_persona: Callable[[str], Client],
) -> None:
    client = as_persona(persona)
    truth = _stored()
    downloads = list(reachable_downloads(personas[persona]))
    hidden = tried = 0
    for name, args, params in downloads:
        rows = download(client, name, *args, **params)
        tried += assert_disclosure_controlled(rows, truth)
        hidden += sum(1 for row in rows if row["suppression"])
    las = {args[0] for name, args, _ in downloads if name != "portfolio_export"}
    assert {"370"} <= las
    assert ("383" in las) is (persona != "case_lead")
    assert ("202" in las) is (persona == "analyst")
    # Not vacuous: small numbers were there to hide, and hidden groups were tried against a
    # shown total (Barnsley's March breakdowns by sex and ethnicity).
    assert hidden > 0
    assert tried >= 8


def test_barnsleys_own_users_export_it_unsuppressed(
    figures: dict[str, Submission], as_persona: Callable[[str], Client]
) -> None:
    for persona in ("lead", "viewer"):
        rows = download(as_persona(persona), "la_export", "370", "csv")
        shown = {_key(r): (r["numerator"], r["denominator"], r["suppression"]) for r in rows}
        assert shown[("370", "rereferral_12m", "2024-03-31", "Sex", "Unknown")] == ("3", "5", "")
        assert shown[("370", "rereferral_12m", "2024-02-29", "Total", "Total")] == ("4", "60", "")
        assert shown[("370", "missing_at_period_end", "2024-03-31", "Total", "Total")] == (
            "2",
            "z",
            "",
        )
        assert not any(r["suppression"] for r in rows)

    sheets = read_xlsx(
        as_persona("lead").get(reverse("restricted_dashboards:la_export", args=["370", "xlsx"]))
    )
    cover = {row[0].value: row[1].value for row in sheets["Cover"] if len(row) > 1}
    assert cover["Small numbers"].startswith("You may see the child-level records")
    assert "Barnsley (370)" in cover["Small numbers"]


def test_the_same_export_is_suppressed_for_a_dfe_role(
    figures: dict[str, Submission], as_persona: Callable[[str], Client]
) -> None:
    rows = download(as_persona("case_lead"), "la_export", "370", "csv")
    shown = {
        _key(r): (r["numerator"], r["denominator"], r["value"], r["suppression"]) for r in rows
    }
    sex = ("370", "rereferral_12m", "2024-03-31", "Sex")
    assert shown[(*sex, "Unknown")] == ("c", "c", "c", "suppressed")
    assert shown[(*sex, "Female")] == ("c", "c", "c", "suppressed"), "protects Unknown"
    assert shown[(*sex, "Male")] == ("20", "100", "20.0", "")
    age = ("370", "rereferral_12m", "2024-03-31", "Age band")
    assert shown[(*age, "Under 1")] == ("0", "10", "0.0", ""), "zero is shown"
    count = ("370", "missing_at_period_end", "2024-03-31", "Total", "Total")
    assert shown[count] == ("c", "z", "c", "suppressed")
    rate = ("370", "cin_rate", "2024-03-31", "Total", "Total")
    assert shown[rate] == ("c", "c", "c", "suppressed"), "a rate from 3 children"
    assert ("370", "rereferral_12m", "2024-02-29", "Sex", "Male") not in shown, (
        "the dashboard export holds the latest period's breakdowns"
    )


def test_an_indicator_export_holds_the_series_and_the_chosen_periods_breakdowns(
    figures: dict[str, Submission], as_persona: Callable[[str], Client]
) -> None:
    client = as_persona("risl")
    rows = download(client, "indicator_export", "370", "rereferral_12m", "csv", period="2024-02-29")
    assert {r["indicator"] for r in rows} == {"rereferral_12m"}
    series = [r["period_end"] for r in rows if r["breakdown"] == "Total"]
    assert series == ["2023-03-31", "2024-02-29", "2024-03-31"]
    groups = [
        (r["period_end"], r["breakdown"], r["numerator"]) for r in rows if r["breakdown"] != "Total"
    ]
    # February's total (4 of 60) is hidden, so hiding Male (4 of 30) alone protects it.
    assert groups == [("2024-02-29", "Male", "c"), ("2024-02-29", "Female", "0")]
    latest = download(client, "indicator_export", "370", "rereferral_12m", "csv")
    assert {r["period_end"] for r in latest if r["breakdown"] != "Total"} == {"2024-03-31"}


def test_rows_are_in_the_ees_tidy_format(
    figures: dict[str, Submission], as_persona: Callable[[str], Client]
) -> None:
    rows = download(as_persona("analyst"), "la_export", "370", "csv")
    by_key = {_key(r): r for r in rows}
    march = by_key[("370", "rereferral_12m", "2024-03-31", "Total", "Total")]
    assert march == {
        "time_period": "2024",
        "time_identifier": "March",
        "period_start": "2023-04-01",
        "period_end": "2024-03-31",
        "geographic_level": "Local authority",
        "country_code": "E92000001",
        "country_name": "England",
        "region_code": YORKSHIRE,
        "region_name": "Yorkshire and The Humber",
        "old_la_code": "370",
        "new_la_code": "E08000016",
        "la_name": "Barnsley",
        "as_of": "2024-03-31",
        "indicator": "rereferral_12m",
        "indicator_title": "Re-referrals within 12 months of a previous referral",
        "unit": "percent",
        "breakdown_topic": "Total",
        "breakdown": "Total",
        "numerator": "40",
        "denominator": "200",
        "value": "20.0",
        "status": "ok",
        "suppression": "",
    }
    gap = by_key[("370", "nfa_reassessed_12m", "2024-03-31", "Total", "Total")]
    assert (gap["numerator"], gap["denominator"], gap["value"], gap["status"]) == (
        "x",
        "x",
        "x",
        "incomplete_follow_up",
    ), "a gap is not available, with its reason, never a zero"
    count = by_key[("370", "missing_at_period_end", "2023-03-31", "Total", "Total")]
    assert (count["numerator"], count["denominator"], count["value"]) == ("12", "z", "12")
    assert len(by_key) == len(rows), "no duplicate rows"
    order = list(dict.fromkeys(r["indicator"] for r in rows))
    assert order == [key for key in REGISTRY if key in order], "in the registry's order"


def test_the_xlsx_has_a_cover_sheet_and_one_sheet_per_table(
    figures: dict[str, Submission], as_persona: Callable[[str], Client]
) -> None:
    client = as_persona("case_lead")
    response = client.get(reverse("restricted_dashboards:la_export", args=["370", "xlsx"]))
    assert response["Content-Disposition"] == (
        'attachment; filename="timely-indicators-370-2024-03-31.xlsx"'
    )
    sheets = read_xlsx(response)
    assert list(sheets) == ["Cover", "Series", "Breakdowns"]
    cover = [tuple(_text(c.value) for c in row) for row in sheets["Cover"]]
    text = "\n".join(" | ".join(row) for row in cover)
    assert cover[0][0] == "Timely indicators: Barnsley (370)"
    assert "Barnsley (370) | Extract of 31 March 2024 (submission " in text
    assert "Small numbers | Suppressed" in text
    assert "Counts of 1 to 4" in text
    assert "Symbol c | Suppressed" in text
    assert "time_identifier its month" in text
    for indicator_id in ("rereferral_12m", "missing_at_period_end", "cin_rate"):
        indicator = REGISTRY[indicator_id]
        assert f"{indicator.title} ({indicator_id}) | {indicator.definition}" in text
        assert f"Caveat | {indicator.caveats[0]}" in text
    series = xlsx_tables({"Series": sheets["Series"]})
    assert {r["breakdown"] for r in series} == {"Total"}
    assert {r["breakdown"] for r in xlsx_tables({"B": sheets["Breakdowns"]})} >= {"Male", "White"}
    # Numbers are numbers, symbols are text.
    header = [c.value for c in sheets["Series"][0]]
    first = sheets["Series"][1]
    assert isinstance(first[header.index("numerator")].value, int)

    portfolio = read_xlsx(
        client.get(reverse("restricted_dashboards:portfolio_export", args=["xlsx"]))
    )
    assert list(portfolio) == ["Cover", "Portfolio"]


def test_no_cell_can_start_a_formula(
    figures: dict[str, Submission], as_persona: Callable[[str], Client]
) -> None:
    LocalAuthority.objects.filter(code="370").update(name="@SUM(1+1)*cmd|' /C calc'!A0")
    client = as_persona("lead")
    rows = download(client, "la_export", "370", "csv")
    assert {r["la_name"] for r in rows} == {"'@SUM(1+1)*cmd|' /C calc'!A0"}
    assert "'" + INJECTED in {r["breakdown"] for r in rows}
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row.values())

    sheets = read_xlsx(client.get(reverse("restricted_dashboards:la_export", args=["370", "xlsx"])))
    cells = [c for rows_ in sheets.values() for row in rows_ for c in row if c.value is not None]
    texts = [c for c in cells if isinstance(c.value, str)]
    assert all(c.data_type == "s" for c in texts), "text is stored as text, never a formula"
    assert not any(c.value.startswith(("=", "+", "-", "@", "\t", "\r")) for c in texts)
    assert "'" + INJECTED in {c.value for c in texts}


def test_outsiders_get_404_and_the_attempt_is_audited(
    figures: dict[str, Submission], as_persona: Callable[[str], Client]
) -> None:
    for persona in ("other_lead", "access_admin"):
        client = as_persona(persona)
        for args in (["370", "csv"], ["370", "rereferral_12m", "xlsx"]):
            name = "la_export" if len(args) == 2 else "indicator_export"
            response = client.get(reverse(f"restricted_dashboards:{name}", args=args))
            assert response.status_code == 404
    case_lead = as_persona("case_lead")  # assigned Barnsley only
    assert (
        case_lead.get(reverse("restricted_dashboards:la_export", args=["383", "csv"])).status_code
        == 404
    )
    denied = AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED)
    assert denied.count() == 5
    assert set(denied.values_list("organisation", flat=True)) == {"370", "383"}
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()
    portfolio = reverse("restricted_dashboards:portfolio_export", args=["csv"])
    assert as_persona("access_admin").get(portfolio).status_code == 403


@pytest.mark.parametrize(
    ("name", "args", "params"),
    [
        ("la_export", ["370", "pdf"], {}),
        ("la_export", ["999", "csv"], {}),
        ("indicator_export", ["370", "no_such_indicator", "csv"], {}),
        ("indicator_export", ["370", "rereferral_12m", "csv"], {"period": "2024-13-01"}),
        ("indicator_export", ["370", "rereferral_12m", "csv"], {"period": "2024-01-31"}),
        ("portfolio_export", ["csv"], {"indicator": "no_such_indicator"}),
        ("portfolio_export", ["csv"], {"region": "E12999999"}),
    ],
)
def test_unknown_formats_las_indicators_periods_and_regions_are_404(
    name: str,
    args: list[str],
    params: dict[str, str],
    figures: dict[str, Submission],
    as_persona: Callable[[str], Client],
) -> None:
    response = as_persona("analyst").get(
        reverse(f"restricted_dashboards:{name}", args=args), params
    )
    assert response.status_code == 404


def test_every_download_is_audited_without_figures(
    figures: dict[str, Submission], as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    client = as_persona("case_lead")
    download(client, "indicator_export", "370", "rereferral_12m", "csv", period="2024-02-29")
    download(client, "la_export", "370", "xlsx")
    download(client, "portfolio_export", "csv", indicator="cin_rate", region=YORKSHIRE)

    events = AuditEvent.objects.filter(action=AuditAction.EXPORT).order_by("pk")
    assert [(e.actor, e.organisation, e.details) for e in events] == [
        (
            personas["case_lead"],
            "370",
            {
                "kind": "indicator",
                "format": "csv",
                "indicator": "rereferral_12m",
                "period": "2024-02-29",
            },
        ),
        (personas["case_lead"], "370", {"kind": "la", "format": "xlsx"}),
        (
            personas["case_lead"],
            "",
            {"kind": "portfolio", "format": "csv", "indicators": ["cin_rate"], "region": YORKSHIRE},
        ),
    ]


def test_the_portfolio_lists_every_la_in_scope_alphabetically(
    figures: dict[str, Submission], as_persona: Callable[[str], Client]
) -> None:
    rows = download(as_persona("risl"), "portfolio_export", "csv", region=YORKSHIRE)
    yorkshire = LocalAuthority.objects.current().filter(region__code=YORKSHIRE)
    names = list(dict.fromkeys(r["la_name"] for r in rows))
    assert names == [la.name for la in yorkshire.order_by("name", "code")]
    indicators = list(dict.fromkeys(r["indicator"] for r in rows))
    assert indicators == list(KEY_INDICATORS), "the page's key indicators"
    barnsley = [
        (r["indicator"], r["period_end"], r["numerator"], r["as_of"], r["status"])
        for r in rows
        if r["old_la_code"] == "370"
    ]
    assert barnsley[:2] == [
        ("rereferral_12m", "2023-03-31", "10", "2024-03-31", "ok"),
        ("rereferral_12m", "2024-03-31", "40", "2024-03-31", "ok"),
    ]
    assert barnsley[2:] == [
        (key, "", "x", "2024-03-31", "no_figure") for key in KEY_INDICATORS[1:]
    ], "an indicator the submission has no figure for"
    without = [r for r in rows if r["old_la_code"] not in {"370", "383"}]
    assert {(r["status"], r["numerator"], r["period_end"]) for r in without} == {
        ("no_submission", "x", "")
    }
    assert len(without) == len(KEY_INDICATORS) * (len(names) - 2), "every LA, every indicator"
    one = download(as_persona("risl"), "portfolio_export", "csv", indicator="cin_rate")
    assert {r["indicator"] for r in one} == {"cin_rate"}

    inner = download(as_persona("analyst"), "portfolio_export", "csv", region="E13000001")
    assert "Camden" in {r["la_name"] for r in inner}, "a London sub-region filters too"
    assert {r["region_name"] for r in inner} == {"London"}
