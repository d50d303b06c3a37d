"""The report's catalogues: the same keys and placeholders in Hebrew and English, and every key the rendering
code asks for is in both."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.report import manager
from pipeline.report.i18n import LANGUAGES, Words, catalogue, placeholders
from pipeline.rulefile import load_rules

CODE = Path(__file__).resolve().parent.parent / "pipeline" / "report"


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    he, en = catalogue("he"), catalogue("en")
    assert sorted(set(he) - set(en)) == [] and sorted(set(en) - set(he)) == []
    for key in en:
        assert placeholders(he[key]) == placeholders(en[key]), key
        assert he[key].strip() and en[key].strip(), key


def _keys_in_code() -> set[str]:
    """Every key the rendering code names literally: ``w("key")``, ``w.get("key", ...)``."""
    keys: set[str] = set()
    for path in CODE.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        keys |= set(re.findall(r"\bw(?:\.get)?\(\s*[\"']([a-z_]+\.[\w.\- ]+)[\"']", text))
        # w("a" if cond else "b")
        for a, b in re.findall(r"\bw\(\s*\"([a-z_]+\.[\w.\-]+)\" if [^\"]+ else \"([a-z_]+\.[\w.\-]+)\"", text):
            keys |= {a, b}
    return keys


def _keys_from_data() -> set[str]:
    """Keys the code builds from codes and names in the data: actions, alarms, channels, funnel steps, club
    figures, segments, severities."""
    from pipeline.report import overview, value

    keys = {f"action.{code}" for _, _, code in manager._LOSSES}
    keys |= {"alarm.no-consent", "alarm.no-spend", "alarm.same-age", "alarm.warning", "alarm.held"}
    keys |= {f"mapping.method.{m}" for m in ("exact", "words", "fuzzy", "values", "override")}
    keys |= {f"value.reason.{r}" for r in value._REASONS} | {f"value.risk.{r}" for r in ("high", "medium", "low")}
    keys |= {f"channel.{c}" for c in ("sms", "email")} | {f"reach.{c}" for c in ("sms", "email")}
    keys |= {f"overview.reach_{c}" for c in ("sms", "email")}
    keys |= {f"club.{key}" for key, _ in overview._EFFECT}
    keys |= {f"segment.{seg.name}" for seg in load_rules().scoring.segments} | {"segment.No purchases"}
    keys |= {f"severity.{s}" for s in ("error", "warning", "info")}
    keys |= {f"ledger_action.{a}" for a in ("fixed", "flagged", "quarantined", "merged", "moved", "normalised")}
    steps = ["members", "with a mobile", "valid mobile", "SMS consent", "alive, of age: reachable"]
    steps += ["with an e-mail", "valid personal address", "e-mail consent"]
    keys |= {f"funnel.{s}" for s in steps}
    return keys


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_key_the_code_asks_for_is_in_the_catalogue(lang: str) -> None:
    used = _keys_in_code()
    assert len(used) > 80  # the scan found the rendering code's keys
    missing = sorted((used | _keys_from_data()) - set(catalogue(lang)))
    assert not missing, f"{lang}.json lacks {missing}"


def test_a_missing_key_fails_loudly() -> None:
    with pytest.raises(KeyError):
        Words("he")("overview.no-such-key")


def test_israeli_numbers_and_dates() -> None:
    he, en = Words("he"), Words("en")
    assert he.num(1234567) == "1,234,567" and he.num(3.14159, digits=1) == "3.1"
    assert he.money(524843.12) == "524,843\u00a0₪" and en.money(524843.12) == "₪524,843"
    assert he.date("2026-09-30") == "30.09.2026" and en.date("2026-09-30") == "30 Sep 2026"
    assert he.pct(0.4682) == "46.8%" and he.num(None) == "—"
    assert (he.dir, en.dir) == ("rtl", "ltr")


def test_values_are_escaped_and_the_template_too() -> None:
    en = Words("en")
    assert "<b>" not in en.get("segment.<b>x</b>", "<b>x</b>")
    assert en("page.file", path="<bdi>a.csv</bdi>") == "File <bdi>a.csv</bdi>"
