"""Which Accept-Encoding headers take gzip (dashboard/static_gzip.py)."""

import pytest

from dashboard.static_gzip import accepts_gzip


@pytest.mark.parametrize(
    ("header", "takes"),
    [
        ("gzip, deflate, br", True),
        ("br;q=1, gzip;q=0.5", True),
        ("*", True),
        ("GZIP", True),
        ("gzip;q=0", False),
        ("gzip; q=0.0", False),
        ("*;q=0", False),
        ("identity", False),
        ("", False),
        (None, False),
        # garbled by a client or a proxy: the file goes uncompressed, never a server error
        ("gzip;q=abc", False),
        ("gzip;q=", False),
        ("gzip;level=1;q=0", False),
    ],
)
def test_gz001_accept_encoding(header, takes):
    assert accepts_gzip(header) is takes
