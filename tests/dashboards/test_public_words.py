"""The public dashboard's words: how to read each figure, plain names, and where and when the
figures come from.

Every public page is rendered once, from the shipped files loaded by the real loader, and read
as a visitor would: the guidance under "How to read this figure" (with the examples the issue
asks for, from the DfE supporting information and the ADCS response), no abbreviation in a
title or heading and none in the text before its words, the DfE dashboard's own name kept for
specialists, and on every page the publication, its release date and when this service last
updated its copy.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from lxml import html as lxml_html

from dashboards.models import PublishedIndicator, PublishedValue
from dashboards.published.catalogue import INDICATORS, LOADED, SPECS
from dashboards.published.loader import load_published_data
from dashboards.published.plain_words import ABBREVIATIONS, DFE_DASHBOARD_NAMES

PUBLIC = [spec for spec in INDICATORS if spec.public]
LA = "370"


def _text(node: Any) -> str:
    return " ".join(node.text_content().split())


def _urls() -> list[str]:
    urls = ["/published/", f"/published/la/{LA}/"]
    for spec in PUBLIC:
        urls += [f"/published/{spec.key}/", f"/published/{spec.key}/?la={LA}"]
    return urls


@pytest.fixture(scope="module")
def rendered_once(loaded: None, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """Every public page (home, one LA's summary, every indicator for England and for the LA)
    as an lxml tree, rendered once for the module from an empty cache."""
    with django_db_blocker.unblock():
        cache.clear()
        client = Client()
        pages = {}
        for url in _urls():
            response = client.get(url)
            assert response.status_code == 200, url
            pages[url] = lxml_html.fromstring(response.content)
        yield pages
    cache.clear()


@pytest.fixture
def rendered(rendered_once: dict[str, Any], db: None) -> dict[str, Any]:
    """The pages, for a test that has the database (as every test here reading them must)."""
    return rendered_once


def _section(tree: Any, heading_id: str) -> str:
    """The text from the heading with ``heading_id`` to the next heading of the same level."""
    (heading,) = tree.xpath(f'//*[@id="{heading_id}"]')
    parts = []
    for sibling in heading.itersiblings():
        if sibling.tag == heading.tag:
            break
        parts.append(_text(sibling))
    return " ".join(parts)


# --- How to read this figure ------------------------------------------------------------------


def test_every_public_indicator_has_its_own_guidance() -> None:
    for spec in PUBLIC:
        assert spec.guidance, spec.key
        assert all(paragraph.strip() for paragraph in spec.guidance), spec.key


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("cin_rate", "including children on a child protection plan and children looked after"),
        ("rereferral_12m", "A repeat referral may be for a different reason from the first"),
        ("placement_secure_childrens_homes", "Residential care is not bad in itself"),
        ("cla_rate", "A low rate of children in care is not a goal in itself"),
        ("cla_starting_rate", "A low rate of children in care is not a goal in itself"),
        ("care_leavers_eet_17_18", "they often cannot legally work or study"),
        ("care_leavers_eet_19_21", "they often cannot legally work or study"),
        ("sw_caseload", "An average hides outliers"),
    ],
)
def test_the_guidance_says_what_the_issue_asks(
    rendered: dict[str, Any], key: str, says: str
) -> None:
    for url in (f"/published/{key}/", f"/published/{key}/?la={LA}"):
        assert says in _section(rendered[url], "how-to-read"), url


def test_every_indicator_page_says_how_to_read_it_and_what_it_cannot_tell_you(
    rendered: dict[str, Any],
) -> None:
    for spec in PUBLIC:
        for url in (f"/published/{spec.key}/", f"/published/{spec.key}/?la={LA}"):
            section = _section(rendered[url], "how-to-read")
            for paragraph in spec.guidance:
                assert " ".join(paragraph.split()) in section, (url, paragraph)
            assert "Not a performance measure: what this figure can and cannot tell" in section
            assert "It cannot tell you on its own whether" in section, url
            assert "it is a proxy with known data gaps" in section, url


# --- Plain names ------------------------------------------------------------------------------

_ABBREVIATION = {word: re.compile(rf"\b{re.escape(word)}\b") for word in ABBREVIATIONS}
_INLINE = {"a", "abbr", "b", "br", "code", "em", "i", "span", "strong"}


def _blocks(main: Any) -> Iterator[str]:
    """The text of each innermost block of the page (a paragraph, list item, table cell,
    heading...), in reading order."""
    for node in main.iter():
        if not isinstance(node.tag, str) or node.tag in _INLINE:
            continue
        inline = all(not isinstance(child.tag, str) or child.tag in _INLINE for child in node)
        if inline and (text := _text(node)):
            yield text


def _unexplained(text_blocks: Iterator[str]) -> list[tuple[str, str]]:
    """(abbreviation, block) for each abbreviation whose first use comes before its words:
    they must be in an earlier block or in the block of the first use ("full-time equivalent
    (FTE)", "CINO (CINO: children in need who are not ...)")."""
    found = []
    read = ""
    unseen = dict(_ABBREVIATION)
    for block in text_blocks:
        for word, pattern in list(unseen.items()):
            if pattern.search(block):
                del unseen[word]
                if ABBREVIATIONS[word].lower() not in (read + " " + block).lower():
                    found.append((word, block))
        read += " " + block
    return found


def _headings(tree: Any) -> list[str]:
    """The page title, headings, table captions and the home page's indicator links."""
    found = [_text(node) for node in tree.xpath("//title | //h1 | //h2 | //h3 | //h4")]
    found += [_text(node) for node in tree.xpath("//main//caption")]
    found += [_text(node) for node in tree.xpath('//main//li/a[starts-with(@href, "/published/")]')]
    return found


def test_no_title_or_heading_uses_an_abbreviation(rendered: dict[str, Any]) -> None:
    for url, tree in rendered.items():
        for text in _headings(tree):
            used = [word for word, pattern in _ABBREVIATION.items() if pattern.search(text)]
            assert not used, (url, text, used)


def test_no_page_uses_an_abbreviation_before_its_words(rendered: dict[str, Any]) -> None:
    for url, tree in rendered.items():
        (main,) = tree.xpath("//main")
        assert not _unexplained(_blocks(main)), url


def test_the_abbreviation_check_finds_one_used_before_its_words() -> None:
    # A definition written the old way fails it; with its words first, or beside it, it passes.
    assert _unexplained(iter(["Overall absence for CINO at 31 March.", "Children in need"]))
    assert not _unexplained(iter(["Agency workers, full-time equivalent.", "FTE agency rate"]))
    assert not _unexplained(iter(["Turnover (full-time equivalent, FTE) of social workers"]))


def _about(tree: Any) -> dict[str, str]:
    rows = tree.xpath('//h2[@id="about"]/following-sibling::dl[1]/div')
    return {_text(row.find("dt")): _text(row.find("dd")) for row in rows}


def test_each_page_keeps_the_dfe_dashboards_name_with_its_abbreviations_spelled_out(
    rendered: dict[str, Any],
) -> None:
    about = _about(rendered["/published/absence_overall_cino/"])
    name = about["Name on the Department for Education's dashboard"]

    assert name.startswith("Overall absence for CINO at 31 March")
    assert f"(CINO: {ABBREVIATIONS['CINO']})" in name
    for spec in PUBLIC:
        about = _about(rendered[f"/published/{spec.key}/"])
        if spec.dfe_sort_order is None:  # not on the DfE dashboard: nothing to match
            assert "Name on the Department for Education's dashboard" not in about, spec.key
        else:
            shown = about["Name on the Department for Education's dashboard"]
            assert shown.startswith(DFE_DASHBOARD_NAMES[spec.dfe_sort_order]), spec.key


def test_titles_say_who_the_figure_is_about_in_words() -> None:
    assert SPECS["absence_overall_cino"].title == (
        "Overall absence of children in need at 31 March (not on a child protection plan or "
        "looked after)"
    )
    assert "key stage 2" in SPECS["ks2_rwm_cla"].title
    assert "full-time equivalent" in SPECS["sw_caseload"].title


# --- Where the figures come from and when -----------------------------------------------------


def _date(value: Any) -> str:
    return f"{value.day} {value:%B %Y}"


def test_every_public_figure_has_a_release_date() -> None:
    for spec in LOADED:
        assert spec.source.released is not None, spec.key


def test_every_indicator_page_says_which_publication_and_when(rendered: dict[str, Any]) -> None:
    today = _date(timezone.localdate())
    for spec in PUBLIC:
        tree = rendered[f"/published/{spec.key}/?la={LA}"]
        (main,) = tree.xpath("//main")
        intro = _text(main.xpath('.//p[contains(@class, "govuk-body-s")]')[0])
        about = _about(tree)

        assert spec.source.publication in intro, spec.key
        assert f"published {_date(spec.source.released)}" in intro, spec.key
        assert f"Last updated in this service on {today}" in intro, spec.key
        assert about["Source"].startswith(spec.source.publication), spec.key
        assert about["Published"] == _date(spec.source.released), spec.key
        assert about["Last updated in this service"] == today, spec.key


@pytest.mark.parametrize("url", ["/published/", f"/published/la/{LA}/"])
def test_the_home_and_summary_pages_list_every_source_with_its_dates(
    rendered: dict[str, Any], url: str
) -> None:
    items = [_text(item) for item in rendered[url].xpath('//ul[@id="source-list"]/li')]
    stored = dict(PublishedIndicator.objects.values_list("key", "source"))
    today = _date(timezone.localdate())

    expected = {  # one item per file, whichever indicators (or local context) it supplies
        f"{stored[spec.key]}. Published {_date(spec.source.released)}; last updated in this "
        f"service on {today}."
        for spec in LOADED
        if spec.public
    }
    assert sorted(items) == sorted(expected)


def test_last_updated_moves_only_when_a_load_changes_the_figures(loaded: None, db: None) -> None:
    before = dict(PublishedIndicator.objects.values_list("key", "figures_updated_at"))
    assert all(before.values())

    load_published_data()  # nothing changed
    assert dict(PublishedIndicator.objects.values_list("key", "figures_updated_at")) == before

    value = PublishedValue.objects.filter(indicator__key="cla_rate", value__isnull=False).first()
    assert value is not None
    assert value.value is not None
    value.value += 1
    value.save()
    counts = load_published_data()  # puts the published figure back: cla_rate changed

    after = dict(PublishedIndicator.objects.values_list("key", "figures_updated_at"))
    assert counts["updated"] == 1
    changed, was = after["cla_rate"], before["cla_rate"]
    assert changed is not None
    assert was is not None
    assert changed > was
    assert {key for key in after if after[key] != before[key]} == {"cla_rate"}
