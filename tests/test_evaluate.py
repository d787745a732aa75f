"""The agreement scorer (``critmin.agreements.evaluate``) on hand-made predictions."""

from __future__ import annotations

from typing import Any

from critmin.agreements.evaluate import normalise_name, score


def _a(parties: list[str], instrument: str = "mou", status: str = "signed", **kw: Any) -> dict:
    countries = kw.pop("countries", [])
    return {
        "parties": parties,
        "countries": countries,
        "instrument": instrument,
        "status": status,
        "minerals": kw.pop("minerals", []),
        "stages": kw.pop("stages", []),
        **kw,
    }


def test_names_match_across_legal_suffixes_and_scripts() -> None:
    assert normalise_name("Khanij Bidesh India Ltd.") == normalise_name("KHANIJ BIDESH INDIA")
    assert normalise_name("㈜에코프로") == normalise_name("에코프로")
    gold = {"d": {"agreements": [_a(["gov_kor", "name:Blue Ridge Mining Ltd|BRM"])]}}
    pred = {
        "d": {
            "agreements": [
                _a(
                    ["gov_kor", "org:brm"],
                    party_names={"org:brm": ["Blue Ridge Mining Limited"]},
                )
            ]
        }
    }
    rep = score(pred, gold)
    assert (rep.agreements.tp, rep.agreements.fp, rep.agreements.fn) == (1, 0, 0)


def test_a_second_prediction_is_a_duplicate_and_a_false_positive() -> None:
    gold = {"d": {"agreements": [_a(["gov_kor", "gov_kaz"], minerals=["lithium"])]}}
    pred = {
        "d": {
            "agreements": [
                _a(["gov_kor", "gov_kaz"], minerals=["lithium"]),
                _a(["gov_kor", "gov_kaz"], minerals=["lithium", "copper"]),
            ]
        }
    }
    rep = score(pred, gold)
    assert rep.duplicates == 1 and rep.agreements.fp == 1 and rep.agreements.precision == 0.5
    # the duplicate's minerals count as false positives
    assert (rep.minerals.tp, rep.minerals.fp, rep.minerals.fn) == (1, 2, 0)


def test_same_parties_pair_by_instrument_then_status() -> None:
    gold = {
        "d": {
            "agreements": [
                _a(["gov_kor", "gov_tza"], "mou", minerals=["critical_minerals"]),
                _a(["gov_kor", "gov_tza"], "loan"),
                _a(["gov_kor", "gov_tza"], "agreement", "historical"),
            ]
        }
    }
    pred = {
        "d": {
            "agreements": [
                _a(["gov_kor", "gov_tza"], "agreement", "historical"),
                _a(["gov_kor", "gov_tza"], "loan"),
                _a(["gov_kor", "gov_tza"], "mou", minerals=["critical_minerals"]),
            ]
        }
    }
    rep = score(pred, gold)
    assert rep.instrument_correct == 3 and rep.status_correct == 3
    assert rep.minerals.f1 == 1.0
    assert rep.historical_gold == 1 and rep.historical_correct == 1


def test_a_missed_historical_mention_counts_against_historical_accuracy() -> None:
    gold = {"d": {"agreements": [_a(["gov_deu", "gov_mng"], status="historical")]}}
    rep = score({"d": {"agreements": [_a(["gov_deu", "gov_mng"])]}}, gold)
    assert rep.historical_gold == 1 and rep.historical_correct == 0
    assert rep.as_dict()["historical"]["accuracy"] == 0.0
