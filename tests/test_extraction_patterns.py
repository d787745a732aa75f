"""Each failure pattern of issue #11, in short sentences of our own wording.

Every test builds a document in memory and runs the real extractor over the tiny warehouse's
reference data; none of the sentences is taken from the corpus.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from conftest import Tiny
from critmin.agreements.documents import Document, read_document, read_documents
from critmin.agreements.model import Extraction


@pytest.fixture()
def extractor(tiny_built: Tiny) -> Any:
    from critmin.agreements.extract import Extractor
    from critmin.agreements.resources import load_resources
    from critmin.warehouse.db import connect

    with connect(tiny_built.db) as con:
        return Extractor(load_resources(con))


def _doc(text: str, lang: str, date: str = "2024-05-01", title: str = "") -> Document:
    return Document(
        "mem.md",
        "0" * 64,
        title or text.split("\n")[0],
        dt.date.fromisoformat(date),
        lang,
        None,
        None,
        text,
    )


def _run(ex: Any, text: str, lang: str, **kw: str) -> Extraction:
    return ex.extract(_doc(text, lang, **kw))


def test_unknown_company_is_a_party_with_its_own_nationality(extractor: Any) -> None:
    x = _run(
        extractor,
        "Zephyr Lithium Ltd, an Australian mining company, signed an offtake "
        "agreement with Korea Zinc for its lithium project in Nevada.",
        "en",
    )
    (a,) = x.agreements
    new = [p for p in a.parties if p.startswith("org:")]
    assert new == ["org:zephyr_lithium_ltd"]
    assert x.organizations[new[0]].iso3 == "AUS"  # from the party, not from Nevada
    assert "gov_aus" not in a.parties and "gov_usa" not in a.parties


def test_korean_unknown_company_and_quoted_name(extractor: Any) -> None:
    x = _run(
        extractor,
        "한빛소재는 지난해 3월 호주 광산 기업 '블루릿지'와 탄산리튬 장기 공급 계약을 체결했다.",
        "ko",
        date="2025-02-01",
    )
    (a,) = x.agreements
    names = {x.organizations[p].name_ko for p in a.parties if p.startswith("org:")}
    assert names == {"한빛소재", "블루릿지"}
    assert a.status == "historical" and a.minerals == ["lithium"] and "refining" in a.stages


def test_acronym_defined_in_parentheses_either_order(extractor: Any) -> None:
    text = (
        "Northern Ore Holdings (NOH) signed an agreement with Kazatomprom. "
        "NOH will explore two uranium blocks under the deal."
    )
    x = _run(extractor, text, "en")
    (a,) = x.agreements
    assert "org:northern_ore_holdings" in a.parties and "exploration" in a.stages


def test_headline_signing_and_follow_up_are_one_agreement(extractor: Any) -> None:
    text = (
        "# 한국광해광업공단, 몽골과 희소금속 MOU 체결\n\n"
        "한국광해광업공단은 몽골 광업부와 희소금속 공동 탐사 양해각서를 체결했다.\n\n"
        "이번 협약으로 양 기관은 정련과 제련 기술도 교류한다."
    )
    x = _run(extractor, text, "ko", title="한국광해광업공단, 몽골과 희소금속 MOU 체결")
    assert len(x.agreements) == 1
    (a,) = x.agreements
    assert {"exploration", "refining", "smelting"} <= set(a.stages)
    assert not a.evidence["agreement"]["sentence"].startswith("#")


def test_background_law_and_member_lists_are_not_agreements(extractor: Any) -> None:
    text = (
        "The Inflation Reduction Act sets sourcing rules for battery minerals. "
        "Members of the group include Australia, Canada, Japan and Korea. "
        "The minister will visit Chile, Peru and Argentina next week."
    )
    assert _run(extractor, text, "en").agreements == []


@pytest.mark.parametrize(
    ("text", "lang", "date"),
    [
        ("앞서 포스코홀딩스는 1월 필바라미네랄스와 리튬 공급 계약을 맺었다.", "ko", "2024-05-01"),
        (
            "POSCO Holdings had signed a supply agreement with Pilbara Minerals last year.",
            "en",
            "2024-05-01",
        ),
        (
            "POSCO Holdings signed a supply agreement with Pilbara Minerals in March 2021.",
            "en",
            "2024-05-01",
        ),
    ],
)
def test_historical_mentions(extractor: Any, text: str, lang: str, date: str) -> None:
    (a,) = _run(extractor, text, lang, date=date).agreements
    assert a.status == "historical"


def test_planned_from_intent(extractor: Any) -> None:
    (a,) = _run(
        extractor, "Korea and Chile plan to sign a lithium MOU next month.", "en"
    ).agreements
    assert a.status == "planned"


def test_sentence_split_without_a_space(extractor: Any) -> None:
    from critmin.agreements.text import sentences

    parts = sentences("Prices fell on weak demand reports.A memorandum was signed.", "en")
    assert [s.text for s in parts] == [
        "Prices fell on weak demand reports.",
        "A memorandum was signed.",
    ]
    assert len(sentences("한국은 협약을 맺었다.이번 협약으로 협력한다.", "ko")) == 2
    # abbreviations and initials do not end a sentence
    assert len(sentences("The U.S. Department of State said so. Dr. Kim agreed.", "en")) == 2


def test_product_words_and_generic_classes(extractor: Any) -> None:
    (a,) = _run(
        extractor,
        "Korea Zinc signed an offtake agreement with Glencore for nickel "
        "matte and cobalt sulphate.",
        "en",
    ).agreements
    assert a.minerals == ["cobalt", "nickel"] and {"smelting", "refining"} <= set(a.stages)
    (b,) = _run(extractor, "한국과 몽골은 희소금속 공급망 양해각서를 체결했다.", "ko").agreements
    assert b.minerals == ["rare_metals"]  # and not salt (소금 inside 희소금속)
    (c,) = _run(extractor, "Korea and Peru signed an MOU on critical minerals.", "en").agreements
    assert c.minerals == ["critical_minerals"]


def test_tables_and_link_lists_are_not_prose(tmp_path: Path, extractor: Any) -> None:
    f = tmp_path / "index.md"
    f.write_text(
        "# Index\n\n| file | what |\n|---|---|\n| a.md | Korea and Chile signed an MOU |"
        "\n\n- [Korea and Peru sign an MOU](https://example.org/a)\n",
        encoding="utf-8",
    )
    doc = read_document(f)
    assert "MOU" not in doc.text
    assert extractor.extract(doc).agreements == []


def test_feed_and_html_page(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>'
        "<item><title>Korea and Chile sign lithium MOU</title><link>https://example.org/1</link>"
        "<pubDate>Tue, 05 Mar 2024 10:00:00 GMT</pubDate><description>Korea and Chile signed "
        "a lithium MOU on Monday.</description></item>"
        "<item><title>Prices</title><link>https://example.org/2</link>"
        "<description>Nickel prices fell.</description></item></channel></rss>",
        encoding="utf-8",
    )
    docs = read_documents(feed)
    assert [d.date for d in docs] == [dt.date(2024, 3, 5), None]
    assert docs[0].url == "https://example.org/1" and docs[0].path.endswith("#1")
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>Lithium deal</title></head><body><nav><a href='/'>Home</a> "
        "<a href='/mou'>Korea signs MOU with Japan</a></nav><article><h1>Lithium deal</h1>"
        "<p>Korea Zinc signed a lithium supply agreement with Glencore on Monday, the company "
        "said in a statement to the exchange.</p><p>The deal runs for five years and covers "
        "refined lithium hydroxide for battery makers in Korea.</p></article>"
        "<footer>Copyright</footer></body></html>",
        encoding="utf-8",
    )
    (doc,) = read_documents(page)
    assert "Glencore" in doc.text and "Home" not in doc.text and "Copyright" not in doc.text


@pytest.mark.parametrize(
    "front",
    ["date: 2024-13-45", "date: 2024-02-30", "date: '0000-01-01'", "x: " + "[" * 5000],
)
def test_bad_front_matter_is_a_document_error(tmp_path: Path, front: str) -> None:
    from critmin.agreements.documents import DocumentError

    f = tmp_path / "bad.md"
    f.write_text(f"---\n{front}\n---\nKorea and Chile signed an MOU.\n", encoding="utf-8")
    with pytest.raises(DocumentError):
        read_document(f)


def test_headline_and_sub_headline_without_parties_are_the_articles_countries(
    extractor: Any,
) -> None:
    """A headline names the deal but not its parties; a sub-headline lists more deals;
    an instrument acronym defined once (경제동반자협정(EPA)) names it later."""
    text = (
        "# 한-케냐 정상회담…핵심광물 협력 MOU 체결\n\n"
        "무역협정 협상도 시작, 유상 차관 협정 서명\n\n"
        "한국과 케냐가 핵심광물 공급망 협력을 넓히기로 했다. 두 정상은 회담을 열고 양국 간 "
        "핵심광물 양해각서(MOU)를 체결했다.\n\n"
        "경제동반자협정(EPA) 논의도 첫발을 뗐다. 대통령은 케냐가 한국과 EPA 협상 개시를 "
        "선언했다고 밝혔다."
    )
    x = _run(extractor, text, "ko", title="한-케냐 정상회담…핵심광물 협력 MOU 체결")
    got = sorted((a.instrument, a.status, tuple(a.parties)) for a in x.agreements)
    pair = ("gov_ken", "gov_kor")
    want = [("agreement", "planned"), ("loan", "signed"), ("mou", "signed")]
    assert got == [(*w, pair) for w in want]
    (mou,) = [a for a in x.agreements if a.instrument == "mou"]
    assert not mou.headline and "두 정상은" in mou.evidence["agreement"]["sentence"]


def test_counted_instruments_are_a_class_not_one_agreement(extractor: Any) -> None:
    text = (
        "# 두 장관 회담…협력 분야 넓힌다\n\n"
        "광물 등으로 협력 확대…자동차·바이오 분야 MOU 2건\n\n"
        "한국과 사우디아라비아가 광물 분야 협력을 논의했다."
    )
    x = _run(extractor, text, "ko", title="두 장관 회담…협력 분야 넓힌다")
    assert x.agreements == []
    assert x.document_count == 2


def test_parties_listed_in_the_next_sentence(extractor: Any) -> None:
    text = (
        "Orion Minerals Ltd was founded in 2018 as a joint venture of three state firms. "
        "Its shareholders are Delta Mining Corp, Vega Resources Ltd and Sirius Metals Ltd, "
        "in equal parts."
    )
    (a,) = _run(extractor, text, "en").agreements
    assert a.instrument == "joint_venture" and a.status == "historical"
    names = {x for p in a.parties for x in [p]}
    assert names == {"org:delta_mining_corp", "org:vega_resources_ltd", "org:sirius_metals_ltd"}
    assert "shareholders" in a.evidence["parties"]["org:delta_mining_corp"]["sentence"]
    # without the listing cue, the next sentence's companies are not the parties
    other = text.replace("Its shareholders are", "Analysts compared it with")
    assert _run(extractor, other, "en").agreements == []


def test_a_definite_reference_narrows_generic_minerals(extractor: Any) -> None:
    lead = (
        "Korea and Chile signed a partnership to fund four critical mineral exploration "
        "projects in Chile, officials said.\n\n"
    )
    (a,) = _run(
        extractor, lead + "Two of the four projects target lithium and two target copper.", "en"
    ).agreements
    assert a.minerals == ["copper", "lithium"]
    # no reference back to the projects: the copper market is another matter
    (b,) = _run(extractor, lead + "Separately, copper prices rose in London.", "en").agreements
    assert b.minerals == ["critical_minerals"]


def test_a_follow_up_goes_to_the_news_not_the_background(extractor: Any) -> None:
    text = (
        "Altai Metals Ltd signed an offtake agreement with Korea Zinc for nickel. "
        "Altai Metals Ltd is a joint venture between Borealis Holdings Ltd and Kestrel "
        "Mining Corp, formed in 2015. "
        "The agreement also advances Borealis Holdings Ltd's plan to supply cobalt."
    )
    x = _run(extractor, text, "en")
    (jv,) = [a for a in x.agreements if a.instrument == "joint_venture"]
    (deal,) = [a for a in x.agreements if a.instrument == "offtake"]
    assert jv.status == "historical" and jv.minerals == []
    assert "cobalt" in deal.minerals


def test_reported_speech_past_perfect_is_the_news(extractor: Any) -> None:
    text = (
        "Nordvik Cobalt Corp said on Monday it had signed a two-year supply agreement with "
        "Korea Zinc for cobalt sulfate from its refinery."
    )
    (a,) = _run(extractor, text, "en", date="2024-05-07").agreements
    assert a.status == "signed" and a.instrument == "offtake"
    # without the reporting verb the past perfect is background
    (b,) = _run(extractor, text.replace("said on Monday it had", "had"), "en").agreements
    assert b.status == "historical"


def test_an_old_association_does_not_date_a_new_agreement(extractor: Any) -> None:
    text = (
        "Korea and Chile signed a framework agreement on Tuesday that updates their "
        "decades-old relationship and covers lithium. "
        "In March, Korea and Chile had signed a memorandum on copper."
    )
    got = sorted((a.instrument, a.status) for a in _run(extractor, text, "en").agreements)
    assert got == [("agreement", "signed"), ("mou", "historical")]


def test_a_definite_description_names_the_company_already_named(extractor: Any) -> None:
    text = (
        "Korea Zinc posted higher profits this quarter.\n\n"
        "The South Korean smelter had signed a memorandum of understanding with the "
        "Indonesian government in 2021 for a nickel refinery."
    )
    (a,) = _run(extractor, text, "en").agreements
    assert a.parties == ["gov_idn", "korea_zinc"] and a.status == "historical"
    # a description of another nationality does not pick it
    other = text.replace("The South Korean smelter", "The Japanese smelter")
    assert _run(extractor, other, "en").agreements == []


def test_korean_place_names_are_not_organisations(extractor: Any) -> None:
    text = (
        "에코프로비엠은 SK온과 함께 캐나다 퀘벡에 양극재 공장을 짓는 합작법인을 세웠다고 "
        "밝혔다. 세 회사는 니켈 기반 양극재를 생산한다."
    )
    (a,) = _run(extractor, text, "ko").agreements
    assert a.parties == ["ecopro_bm", "sk_on"]
    assert a.minerals == ["nickel"]  # from the follow-up "세 회사는 …"


def test_a_bad_lexicon_row_names_the_row(tmp_path: Path) -> None:
    from critmin.agreements.text import lexicon
    from critmin.errors import RegistryError

    (tmp_path / "agreement_lexicon.csv").write_text(
        "category,label,language,pattern,citation_id,note\n"
        "instrument,mou,en,\\bMOU\\b,lexicon_critmin,\n"
        "followup,followup,en,(?:^|,lexicon_critmin,unquoted comma\n",
        encoding="utf-8",
    )
    with pytest.raises(RegistryError, match=r"agreement_lexicon.csv:3: .*followup/followup"):
        lexicon(tmp_path)


def test_signing_clause_gives_the_status_of_a_described_venture(extractor: Any) -> None:
    text = (
        "The Karoo iron ore mine will be developed by a joint venture in which Rio Tinto "
        "holds 60 per cent and Korea Zinc holds 40 per cent. "
        "The two companies signed the joint venture agreement last year."
    )
    (a,) = _run(extractor, text, "en").agreements
    assert a.parties == ["korea_zinc", "rio_tinto"] and a.instrument == "joint_venture"
    assert a.status == "historical" and "last year" in a.evidence["status"]["sentence"]
    assert a.minerals == ["iron"] and "development" in a.stages


def test_counted_companies_are_the_last_ones_named(extractor: Any) -> None:
    text = (
        "에코프로비엠과 SK온이 인도네시아에 양극재 공장을 세웠다. "
        "두 회사는 2021년 7월 합작법인을 설립하는 계약을 체결했다."
    )
    (a,) = _run(extractor, text, "ko").agreements
    assert a.parties == ["ecopro_bm", "sk_on"] and a.status == "historical"


def test_compacts_purchase_contracts_and_sector_words(extractor: Any) -> None:
    (a,) = _run(
        extractor,
        "Korea and Australia agreed a clean energy and critical minerals compact on Friday.",
        "en",
    ).agreements
    assert a.instrument == "agreement" and a.parties == ["gov_aus", "gov_kor"]
    (b,) = _run(
        extractor, "LG화학은 호주 광산 기업 '라이언록'과 리튬 정광을 구매하는 계약을 맺었다.", "ko"
    ).agreements
    assert b.instrument == "offtake" and b.minerals == ["lithium"]
    (c,) = _run(
        extractor, "Canada and Germany signed a joint declaration on hydrogen exports.", "en"
    ).agreements
    assert c.minerals == [] and "hydrogen" in c.sectors


def test_ties_between_the_two_countries_are_not_a_follow_up(extractor: Any) -> None:
    text = (
        "Korea and Peru signed an MOU on critical minerals on Monday. "
        "Trade ties between the two countries run deep, with Korea buying iron ore and zinc."
    )
    (a,) = _run(extractor, text, "en").agreements
    assert a.minerals == ["critical_minerals"]
    follow = text.replace(
        "Trade ties between the two countries run deep, with Korea",
        "The two countries will cooperate on",
    )
    (b,) = _run(extractor, follow, "en").agreements
    assert {"iron", "zinc"} <= set(b.minerals)
