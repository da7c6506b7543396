"""Ad exports with an hourly (or device, age ...) breakdown import one row per campaign and day, summed.

The files are written in each vendor's real layout (Google Ads' title and range lines, quoted
thousands, `` --`` for no data and ``Total:`` rows; Meta's BOM, first summary row, 8-decimal
spend and ``Time of day`` ranges). Their totals are worked out here from the generated cells;
the import must hold exactly those totals and its reconciliation must say so.
"""

from __future__ import annotations

import csv
import functools
import random
from datetime import date, timedelta
from decimal import Decimal

from data import importer
from data.connectors.base import SKIP_BREAKDOWN, SKIP_SUMMARY, ParseOptions
from data.importer import import_file
from tests.unit.connectors._ingest import add_fx_rate

DAY0 = date(2026, 3, 27)


def _ok(result: dict) -> dict:
    rec = result["reconciliation"]
    assert result["status"] == "ok", (result["error"], rec)
    assert all(v["ok"] for v in rec.values()), rec
    return {name: Decimal(str(v["imported"])) for name, v in rec.items()}


def _stored(services, workspace) -> dict:
    rows = (
        services.warehouse.cursor()
        .execute(
            "SELECT platform, campaign, date, impressions, clicks, spend FROM ad_daily "
            "WHERE workspace_id = ? ORDER BY ALL",
            [workspace.id],
        )
        .fetchall()
    )
    return {(p, c, d): (i, k, s) for p, c, d, i, k, s in rows}


def _google_hourly(path, campaigns, days: int, seed: int, breakdown: str = "Hour of day") -> dict:
    """A Google Ads campaign report segmented by Day and ``breakdown``; returns its true totals per (campaign, day)."""
    rnd = random.Random(seed)
    values = range(24) if breakdown == "Hour of day" else ("Computers", "Mobile phones", "Tablets")
    lines = [
        "Campaign report",
        f'"{DAY0:%B} {DAY0.day}, {DAY0.year} - {DAY0 + timedelta(days=days - 1):%B} '
        f'{(DAY0 + timedelta(days=days - 1)).day}, {DAY0.year}"',
        f"Campaign status,Campaign,Campaign ID,Day,{breakdown},Currency code,Impr.,Interactions,"
        "Interaction rate,Avg. cost,Cost,Clicks,Conv. rate,Conversions,Conv. value",
    ]
    truth: dict = {}
    for cid, name in campaigns:
        for d in range(days):
            day = DAY0 + timedelta(days=d)
            for value in values:
                if rnd.random() < 0.15:  # an hour without traffic: Google writes " --"
                    lines.append(
                        f"Enabled,{name},{cid},{day},{value},EUR, --, --, --, --,0.00, --, --, --, --"
                    )
                    truth.setdefault((name, day), [0, 0, Decimal(0)])
                    continue
                impr = rnd.randint(0, 250_000)
                clicks = rnd.randint(0, 2_000)
                cost = Decimal(rnd.randint(0, 9_999_999)) / 100
                lines.append(
                    f'Enabled,{name},{cid},{day},{value},EUR,"{impr:,}","{clicks:,}",0.80%,0.45,'
                    f'{cost},"{clicks:,}",2.10%,{rnd.randint(0, 9)},"{rnd.randint(0, 5000):,}.50"'
                )
                t = truth.setdefault((name, day), [0, 0, Decimal(0)])
                t[0] += impr
                t[1] += clicks
                t[2] += cost
    impr = sum(t[0] for t in truth.values())
    clicks = sum(t[1] for t in truth.values())
    cost = sum(t[2] for t in truth.values())
    lines.append(f'Total: Campaigns,,,,,EUR,"{impr:,}","{clicks:,}",,,{cost},"{clicks:,}",,,')
    lines.append(f'Total: Account,,,,,EUR,"{impr:,}","{clicks:,}",,,{cost},"{clicks:,}",,,')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return truth


CAMPAIGNS = [("101", "Brand – Search"), ("102", "Generic"), ("103", "Retargeting")]


def test_adb001_google_ads_hourly_report_sums_each_campaign_day(services, workspace, tmp_path):
    add_fx_rate(services, workspace, "EUR", 1.08)
    path = tmp_path / "Campaign report.csv"
    truth = _google_hourly(path, CAMPAIGNS, days=3, seed=1)
    result = import_file(services.warehouse, workspace, path)
    totals = _ok(result)
    assert result["source"] == "google_ads"
    assert totals["rows ad_daily"] == len(truth) == 9
    assert totals["impressions"] == sum(t[0] for t in truth.values())
    assert totals["clicks"] == sum(t[1] for t in truth.values())
    assert totals["spend EUR"] == sum(t[2] for t in truth.values())
    # every row of the file is accounted for: 9 stored, the other hours summed into them, 2 totals
    assert result["rows_read"] == 3 * 3 * 24 + 2
    assert result["skipped_reasons"] == {SKIP_BREAKDOWN: 3 * 3 * 24 - 9, SKIP_SUMMARY: 2}
    assert result["inserted"] == 9 and result["quarantined"] == 0
    stored = _stored(services, workspace)
    assert stored == {("google_ads", c, d): (t[0], t[1], t[2]) for (c, d), t in truth.items()}


def test_adb002_a_day_split_over_several_chunks_still_sums(services, workspace, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "ParseOptions", functools.partial(ParseOptions, batch_rows=5))
    add_fx_rate(services, workspace, "EUR", 1.08)
    path = tmp_path / "Campaign report.csv"
    truth = _google_hourly(path, CAMPAIGNS[:2], days=2, seed=2, breakdown="Device")
    result = import_file(services.warehouse, workspace, path)
    totals = _ok(result)
    assert totals["rows ad_daily"] == 4
    assert totals["spend EUR"] == sum(t[2] for t in truth.values())
    assert _stored(services, workspace) == {
        ("google_ads", c, d): (t[0], t[1], t[2]) for (c, d), t in truth.items()
    }


def test_adb003_reimporting_the_hourly_report_replaces_the_days_not_doubles_them(
    services, workspace, tmp_path
):
    add_fx_rate(services, workspace, "EUR", 1.08)
    path = tmp_path / "Campaign report.csv"
    truth = _google_hourly(path, CAMPAIGNS[:1], days=2, seed=3)
    import_file(services.warehouse, workspace, path)
    again = import_file(services.warehouse, workspace, path)
    _ok(again)
    assert again["updated"] == 2 and again["inserted"] == 0
    assert _stored(services, workspace) == {
        ("google_ads", c, d): (t[0], t[1], t[2]) for (c, d), t in truth.items()
    }


def _meta_hours(seed: int) -> tuple[list[str], dict]:
    rnd = random.Random(seed)
    rows, truth = [], {}
    for campaign in ("Spring Sale", "Always on"):
        for d in range(2):
            day = DAY0 + timedelta(days=d)
            for hour in range(24):
                impr = rnd.randint(0, 5_000)
                clicks = rnd.randint(0, 90)
                spend = Decimal(rnd.randint(0, 10**10)) / 10**8  # Meta: up to 8 decimals
                spent = "" if spend == 0 else f"{spend}"
                rows.append(
                    f'"{campaign}",{day},{day},"{hour:02d}:00:00 - {hour:02d}:59:59",{spent},{impr},{clicks},'
                    f"{rnd.randint(0, 3)},actions:link_click"
                )
                t = truth.setdefault((campaign, day), [0, 0, Decimal(0)])
                t[0] += impr
                t[1] += clicks
                t[2] += spend
    return rows, truth


def test_adb004_meta_export_by_time_of_day_sums_each_day_to_the_cent_and_beyond(
    services, workspace, tmp_path
):
    rows, truth = _meta_hours(seed=4)
    impr = sum(t[0] for t in truth.values())
    clicks = sum(t[1] for t in truth.values())
    spend = sum(t[2] for t in truth.values())
    header = (
        '\ufeff"Campaign name","Reporting starts","Reporting ends","Time of day (ad account time zone)",'
        '"Amount spent (USD)",Impressions,"Link clicks",Results,"Result indicator"'
    )
    summary = f",{DAY0},{DAY0 + timedelta(days=1)},,{spend},{impr},{clicks},,"
    path = tmp_path / "Meta-Ads-Export.csv"
    path.write_text("\n".join([header, summary, *rows]) + "\n", encoding="utf-8")
    result = import_file(services.warehouse, workspace, path)
    totals = _ok(result)
    assert result["source"] == "meta_ads"
    assert (totals["rows ad_daily"], totals["impressions"], totals["clicks"]) == (4, impr, clicks)
    assert totals["spend USD"] == spend  # every one of the 8 decimals kept
    assert result["skipped_reasons"] == {SKIP_BREAKDOWN: 96 - 4, SKIP_SUMMARY: 1}
    assert _stored(services, workspace) == {
        ("meta_ads", c, d): (t[0], t[1], t[2]) for (c, d), t in truth.items()
    }


def test_adb005_meta_age_breakdown_sums_per_platform_and_keeps_instagram_apart(services, workspace, tmp_path):
    header = (
        '"Campaign name","Reporting starts","Reporting ends",Platform,Age,Impressions,'
        '"Amount spent (USD)","Link clicks"'
    )
    rows = [
        ",2024-03-01,2024-03-01,,,1000,100.00,50",  # the summary row
        "Spring Sale,2024-03-01,2024-03-01,Facebook,18-24,100,10.10,5",
        "Spring Sale,2024-03-01,2024-03-01,Facebook,25-34,200,20.20,10",
        "Spring Sale,2024-03-01,2024-03-01,Facebook,35-44,300,30.30,15",
        "Spring Sale,2024-03-01,2024-03-01,Instagram,18-24,250,25.25,12",
        "Spring Sale,2024-03-01,2024-03-01,Instagram,25-34,150,14.15,8",
    ]
    path = tmp_path / "meta_age.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    result = import_file(services.warehouse, workspace, path)
    totals = _ok(result)
    assert (totals["rows ad_daily"], totals["impressions"], totals["spend USD"]) == (
        2,
        1000,
        Decimal("100.00"),
    )
    stored = _stored(services, workspace)
    day = date(2024, 3, 1)
    assert stored == {
        ("meta_ads", "Spring Sale", day): (600, 30, Decimal("60.60")),
        ("instagram", "Spring Sale", day): (400, 20, Decimal("39.40")),
    }


def test_adb006_a_rejected_hour_is_rejected_alone_and_the_rest_of_its_day_imports(
    services, workspace, tmp_path
):
    add_fx_rate(services, workspace, "EUR", 1.08)
    path = tmp_path / "Campaign report.csv"
    _google_hourly(path, CAMPAIGNS[:1], days=1, seed=6)
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = [next(csv.reader([line])) for line in lines[3:27]]  # the 24 hours
    cells[5][6] = "lots"  # hour 5's Impr. cell cannot be read
    lines[3:27] = [",".join(f'"{c}"' for c in row) for row in cells]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = import_file(services.warehouse, workspace, path)
    assert result["quarantined"] == 1 and result["status"] == "partial"
    assert result["skipped_reasons"][SKIP_BREAKDOWN] == 22  # the 23 good hours make one row
    rec = result["reconciliation"]
    assert all(v["ok"] for v in rec.values()), rec  # what was read good is what was stored
    good = [row for i, row in enumerate(cells) if i != 5]
    number = lambda v: 0 if v.strip() == "--" else int(v.replace(",", ""))  # noqa: E731
    impressions = sum(number(row[6]) for row in good)
    spend = sum(Decimal(row[10]) for row in good)
    ((_, campaign, day), stored) = next(iter(_stored(services, workspace).items()))
    assert (campaign, day) == ("Brand – Search", DAY0)
    assert (stored[0], stored[2]) == (impressions, spend)
