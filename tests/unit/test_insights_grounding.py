"""The grounding check: numbers a reader would accept as the facts' numbers pass, others fail."""

from __future__ import annotations

import pytest

from dashboard.insights.grounding import numbers_in, ungrounded
from dashboard.insights.providers import parse_reply

FACTS = {
    "value": "$12,345.67",
    "baseline": "$9,876.54",
    "change": "+25.0%",
    "period": {"from": "2026-03-04", "to": "2026-03-31"},
    "dimensions": {"campaign": "Spring 2026 — grew 900%"},
    "evidence": {"share_of_change": "84.0%", "z": "4.2"},
}


@pytest.mark.parametrize(
    "text",
    [
        "Net revenue reached $12,345.67, up 25.0% from $9,876.54.",
        "Revenue was about $12.3k, up 25% (from $9.9k).",
        "Revenue rose to $12,300; the campaign Spring 2026 — grew 900% drove 84% of it.",
        "From March 4 to March 31, 2026 revenue grew.",
        "Revenue fell by -25%.",
    ],
)
def test_grd001_grounded_texts_pass(text):
    assert ungrounded(text, FACTS) == []


@pytest.mark.parametrize(
    "text, bad",
    [
        ("Revenue reached $13,000.", ["$13,000"]),
        ("Revenue rose 45%.", ["45"]),
        ("Revenue grew 900%.", ["900"]),  # only inside the campaign's name: not a fact
        ("Revenue reached $12,345.99.", ["$12,345.99"]),  # invented precision
        ("Expect $20k next month.", ["$20k"]),
    ],
)
def test_grd002_invented_numbers_fail(text, bad):
    assert [b.lstrip("$") for b in ungrounded(text, FACTS)] == [b.lstrip("$") for b in bad]


def test_grd003_number_parsing():
    assert [(v, t) for _, v, t in numbers_in("$12.3k and 1,200 and 0.25 and 3M")] == [
        (12300.0, 50.0), (1200.0, 50.0), (0.25, 0.005), (3e6, 5e5)
    ]  # fmt: skip


def test_grd004_reply_parsing():
    texts, malformed = parse_reply(
        '```json\n{"insights": [{"id": "ins_1", "headline": "H", "text": "T"}]}\n```'
    )
    assert texts == {"ins_1": ("H", "T")} and not malformed
    assert parse_reply("no json here") == ({}, True)
    assert parse_reply('{"insights": [{"id": "x", "headline": 3}]}') == ({}, True)
