"""The session list in plain words: devices from User-Agent headers, times in the workspace's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from components.formatting import format_last_seen, format_when
from dashboard.user_agents import UNKNOWN, describe


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36",
            "Chrome on macOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70",
            "Edge on Windows",
        ),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on Linux"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/18.1 Mobile/15E148 Safari/604.1",
            "Safari on iPhone",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
            "Chrome on iPhone",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
            "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
            "Samsung Internet on Android",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/18.1 Safari/605.1.15",
            "Safari on macOS",
        ),
        (
            "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36",
            "Chrome on ChromeOS",
        ),
        ("curl/8.5.0", "curl"),
        ("python-requests/2.32.3", "A Python script"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "A browser on Windows"),
        ("", UNKNOWN),
        (None, UNKNOWN),
        ("<script>alert(1)</script>", UNKNOWN),
    ],
)
def test_ua001_user_agents_in_plain_words(agent, expected):
    assert describe(agent) == expected


NOW = datetime(2026, 12, 2, 23, 30, tzinfo=UTC)


def test_ua002_times_are_today_yesterday_or_a_date_in_the_workspace_zone():
    assert format_when(NOW - timedelta(hours=2), "UTC", NOW) == "Today at 21:30"
    # 21:30 UTC on 2 Dec is 06:30 on 3 Dec in Tokyo, where "now" is 08:30 on 3 Dec: still today.
    assert format_when(NOW - timedelta(hours=2), "Asia/Tokyo", NOW) == "Today at 06:30"
    # In New York "now" is 18:30 on 2 Dec, and 22:00 UTC on 1 Dec was 17:00 there: yesterday.
    assert (
        format_when(datetime(2026, 12, 1, 22, 0, tzinfo=UTC), "America/New_York", NOW) == "Yesterday at 17:00"
    )
    assert format_when(datetime(2026, 11, 28, 9, 5), "UTC", NOW) == "28 Nov 2026, 09:05"  # naive = UTC
    assert format_when(None, "UTC", NOW) == "—"


def test_ua003_last_seen_is_relative_while_recent():
    assert format_last_seen(NOW - timedelta(seconds=90), "UTC", NOW) == "Active now"
    assert format_last_seen(NOW - timedelta(minutes=12), "UTC", NOW) == "12 minutes ago"
    # 20:30 UTC is 21:30 in Berlin, where it is already 00:30 on the next day.
    assert format_last_seen(NOW - timedelta(hours=3), "Europe/Berlin", NOW) == "Yesterday at 21:30"
    assert format_last_seen(NOW - timedelta(days=3), "UTC", NOW) == "29 Nov 2026, 23:30"
