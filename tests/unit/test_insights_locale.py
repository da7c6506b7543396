"""Insight texts in the workspace's number locale, and the grounding check reading that locale.

A de-DE workspace reads ``1.234 emails``, ``84,0 %`` and ``12.345,67 €`` in its insights as on
its pages; the grounding check reads ``12.345,67`` as one number (not 12.345 and 67), accepts a
German rounding (``12.346 €``, ``12,3k €``) and still rejects a number that is not in the facts.
en-US texts are the f-strings they always were.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from components.formatting import MINUS, numbers_as
from dashboard.insights import detect_business as business
from dashboard.insights import service
from dashboard.insights.content import Comparison
from dashboard.insights.engine import detect
from dashboard.insights.grounding import numbers_in, ungrounded
from dashboard.insights.impact import Exposure
from dashboard.insights.model import Insight
from dashboard.insights.narrate import facts, offline, percent_text
from dashboard.insights.providers import ProviderConfig, ProviderReply
from dashboard.insights.source import GoalSpec
from tests.unit import test_insights_detectors as planted

NBSP, NNBSP = "\u00a0", "\u202f"
START, END = date(2026, 3, 1), date(2026, 3, 31)
#: an en-US thousands comma, decimal point or percent sign: never in a de-DE sentence
ENGLISH_NUMBER = re.compile(r"\d,\d{3}(?!\d)|\d\.\d{1,2}(?!\d)|\d%")


def _insights() -> list[Insight]:
    """One finding of each type whose text writes a count, a share or a score itself."""
    return [
        Insight("top_contributors", "net_revenue", START, END, 9000.0, 2000.0, {"channel": "Email"},
                evidence={"share_of_change": 0.845, "total_value": 12345.67, "total_baseline": 9876.54}),
        Insight("concentration", "net_revenue", START, END, 10432.1, 12345.67, {"channel": "Email"},
                evidence={"share": 0.845}),
        Insight("goal_at_risk", "net_revenue", START, END, 11000.0, 15000.0,
                evidence={"actual_to_date": 8000.0, "probability_of_missing": 0.72, "goal_period": "month"}),
        Insight("email_deliverability", "spam_report_rate", START, END, 0.0021, 0.0004,
                evidence={"upper": 0.001, "spam_report_count": 1234, "expected_count": 1500.4}),
        Insight("churn_spike", "churned_mrr", START, END, 2345.5, 1200.0, evidence={"churned_customers": 1200}),
        Insight("period_change", "net_revenue", START, END, 12345.67, 9876.54, evidence={"z": 4.25}),
    ]  # fmt: skip


def test_insloc001_offline_texts_write_every_number_in_de_de():
    with numbers_as("de-DE"):
        said = {i.type: offline(i, "EUR") for i in _insights()}
        evidence = facts(_insights()[-1], "EUR")["evidence"]
    text = lambda kind: " ".join(said[kind])  # noqa: E731
    assert f"accounts for 84{NBSP}% of the change" in text("top_contributors")
    assert f"84,5{NBSP}% of net revenue" in text("concentration")
    assert f"(72{NBSP}% chance of missing it)" in text("goal_at_risk")
    assert "marked 1.234 emails as spam, where about 1.500 would be usual" in text("email_deliverability")
    assert "(1.200 customers churned)" in text("churn_spike")
    assert evidence["z"] == "4,2"
    for kind, (headline, body) in said.items():
        assert not ENGLISH_NUMBER.search(headline + body), (kind, headline, body)


def test_insloc002_en_us_texts_are_unchanged():
    with numbers_as("en-US"):
        said = {i.type: " ".join(offline(i, "USD")) for i in _insights()}
        evidence = facts(_insights()[0], "USD")["evidence"]
    assert "accounts for 84% of the change" in said["top_contributors"]
    assert "84.5% of net revenue" in said["concentration"]
    assert "marked 1,234 emails as spam, where about 1,500 would be usual" in said["email_deliverability"]
    assert evidence["share_of_change"] == "84.5%"


def test_insloc003_actions_and_verdicts_follow_the_locale():
    # the top contributor's action said f"{share:.0%}": the same text in en-US, rounding included
    with numbers_as("en-US"):
        assert [percent_text(0.845 * 100), percent_text(0.015 * 100)] == [f"{0.845:.0%}", f"{0.015:.0%}"]
    src = planted.workspace()
    src.parts["net_revenue"][(("channel", "Paid Search"),)][planted.RANGE] *= 0.3  # Paid Search loses 70%
    goals = planted.workspace()
    goals._goals = [GoalSpec("net_revenue", "month", date(2026, 3, 1), date(2026, 3, 31), 200_000.0)]
    with numbers_as("de-DE"):
        assert percent_text(0.845 * 100) == f"84{NBSP}%"
        verdict = Comparison("Ad CTR", 300, 10_000, 100, 10_000, 3, 3).verdict
        top = next(i for i in detect(src, planted.START, planted.END) if i.type == "top_contributors")
        end = date(2026, 3, 2)
        [goal] = business.goal_at_risk(goals, planted.START, end, Exposure.measure(goals, planted.START, end))
    assert re.search(r"\(p = 0,\d{3}\)", verdict), verdict
    assert re.search(rf"it explains \d+{NBSP}% of the change", top.action), top.action
    assert re.search(r"Close the gap of \d{1,3}(\.\d{3})+ by", goal.action), goal.action


FACTS_DE = {
    "value": "12.345,67 €",
    "baseline": "9.876,54 €",
    "change": "+25,0 %",
    "period": {"from": "2026-03-04", "to": "2026-03-31"},
    "dimensions": {"campaign": "Frühling 2026 — 900 % Wachstum"},
    "evidence": {"share_of_change": "84,0 %", "z": "4,2"},
}


@pytest.mark.parametrize(
    "text",
    [
        "Der Umsatz erreichte 12.345,67 €, plus 25,0 % gegenüber 9.876,54 €.",
        "Revenue was about 12,3k € (from 9,9k €), up 25 %.",
        "Revenue rose to 12.346 €; Frühling 2026 — 900 % Wachstum drove 84 % of it.",
        f"Revenue rose to 12.300{NBSP}€, 4,2 standard deviations out.",
    ],
)
def test_insloc004_german_numbers_that_are_facts_pass(text):
    assert ungrounded(text, FACTS_DE, "de-DE") == []


@pytest.mark.parametrize(
    "text, bad",
    [
        # read as en-US, 12.345,67 is 12.345 and 67: both of these passed as facts
        ("Revenue fell by 12 % this month.", ["12"]),
        ("Revenue reached 67 €.", ["67"]),
        ("Revenue reached 13.000 €.", ["13.000"]),
        ("Revenue reached 12.345,99 €.", ["12.345,99"]),  # invented precision
        ("Revenue grew 900 %.", ["900"]),  # only inside the campaign's name
        ("Revenue rose 45,5 %.", ["45,5"]),
    ],
)
def test_insloc005_a_wrong_number_in_german_text_is_caught(text, bad):
    assert ungrounded(text, FACTS_DE, "de-DE") == bad


def test_insloc006_the_current_locale_is_the_default():
    with numbers_as("de-DE"):
        assert ungrounded("Revenue reached 12.346 €.", FACTS_DE) == []
        assert ungrounded("Revenue fell by 12 %.", FACTS_DE) == ["12"]


@pytest.mark.parametrize(
    "locale, text, expected",
    [
        ("fr-FR", f"{MINUS}1{NNBSP}234{NNBSP}567,50{NBSP}€ et 12,5{NBSP}%", [-1234567.5, 12.5]),
        ("fr-FR", "1 234 clients, le 3 Nov – 2 Dec 2026", [1234.0, 3.0, 2.0, 2026.0]),
        ("sv-SE", f"1{NBSP}234,5 kr", [1234.5]),
        ("de-CH", "CHF 1’234.50 and 1'234", [1234.5, 1234.0]),
        ("en-IN", "₹12,34,567.00", [1234567.0]),
        ("de-DE", "Umsatz 1.234. Dann 2026.", [1234.0, 2026.0]),
        ("en-US", "$12.3k and 1,200 and 0.25", [12300.0, 1200.0, 0.25]),
    ],
)
def test_insloc007_numbers_read_in_each_locale(locale, text, expected):
    assert [v for _, v, _ in numbers_in(text, locale)] == pytest.approx(expected)


def test_insloc008_fr_fr_rounding_passes_and_a_wrong_number_fails():
    with numbers_as("fr-FR"):
        grounded = facts(_insights()[-1], "EUR")
    assert grounded["value"] == f"12{NNBSP}345,67{NBSP}€"
    assert ungrounded("Le chiffre atteint 12 346 €, soit +25 %.", grounded, "fr-FR") == []
    assert ungrounded(f"Le chiffre atteint 12{NNBSP}900 €.", grounded, "fr-FR") == [f"12{NNBSP}900"]


def test_insloc009_a_de_de_generation_keeps_grounded_german_text_and_drops_a_wrong_number(monkeypatch):
    insights = _insights()[-2:]
    for i in insights:
        i.headline, i.text = "offline", "offline"
    churn, change = insights
    replies = {
        churn.id: ("AI: churn", "Churned MRR reached 2.346 €, 1.200 customers left."),
        change.id: ("AI: revenue", "Revenue rose to 12,3k €, 9 % more than planned."),  # 9 %: not a fact
    }
    monkeypatch.setattr(service, "call", lambda config, known: ProviderReply(replies, 10, 10))
    with numbers_as("de-DE"):
        generation, event = service._narrate(ProviderConfig("openai", "m"), insights, "EUR", {})
    assert [i.headline for i in generation.insights] == ["AI: churn", "offline"]
    assert event.grounding_failures == 1
