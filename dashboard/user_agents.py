"""A browser's User-Agent header in plain words: "Chrome on macOS", "Safari on iPhone".

Only what a person needs to tell their own devices apart in the session list; no version
numbers (they change every few weeks and would make one laptop look like several). The
header is the client's to choose, so the result is a hint, never proof of anything.
"""

from __future__ import annotations

import re

#: Browsers, first match wins: Chromium-based browsers also say "Chrome" and "Safari", and
#: Chrome says "Safari" too, so the more specific names come first.
_BROWSERS = (
    (re.compile(r"\bEdg(?:e|A|iOS)?/"), "Edge"),
    (re.compile(r"\b(?:OPR|Opera|OPT)/"), "Opera"),
    (re.compile(r"\bSamsungBrowser/"), "Samsung Internet"),
    (re.compile(r"\bVivaldi/"), "Vivaldi"),
    (re.compile(r"\bYaBrowser/"), "Yandex Browser"),
    (re.compile(r"\b(?:Firefox|FxiOS)/"), "Firefox"),
    (re.compile(r"\b(?:HeadlessChrome)/"), "Headless Chrome"),
    (re.compile(r"\b(?:Chrome|CriOS|Chromium)/"), "Chrome"),
    (re.compile(r"\bVersion/[\d.]+.*\bSafari/|\bAppleWebKit/.*\bMobile/"), "Safari"),
    (re.compile(r"\bMSIE |\bTrident/"), "Internet Explorer"),
    (re.compile(r"^curl/"), "curl"),
    (re.compile(r"^python-requests/|^python-httpx/|^Python-urllib/"), "A Python script"),
    (re.compile(r"^Werkzeug/"), "A test client"),
)

#: Operating systems and devices, first match wins (iPhones say "like Mac OS X", Android
#: says "Linux", ChromeOS says "X11").
_SYSTEMS = (
    (re.compile(r"\biPhone\b"), "iPhone"),
    (re.compile(r"\biPad\b"), "iPad"),
    (re.compile(r"\bAndroid\b"), "Android"),
    (re.compile(r"\bCrOS\b"), "ChromeOS"),
    (re.compile(r"\bWindows\b"), "Windows"),
    (re.compile(r"\bMac OS X\b|\bMacintosh\b"), "macOS"),
    (re.compile(r"\bLinux\b|\bX11\b"), "Linux"),
)

UNKNOWN = "Unknown browser"


def describe(user_agent: str | None) -> str:
    """The browser and system named by ``user_agent``: "Firefox on Windows", "Unknown browser"."""
    text = (user_agent or "").strip()[:500]
    browser = next((name for pattern, name in _BROWSERS if pattern.search(text)), None)
    system = next((name for pattern, name in _SYSTEMS if pattern.search(text)), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser:
        return browser
    if system:
        return f"A browser on {system}"
    return UNKNOWN
