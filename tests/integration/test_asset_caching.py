"""Static files a page load needs are kept by the browser when their URL carries their version."""

import re


def test_cache001_versioned_assets_are_immutable_for_a_year(client, auth, workspace):
    auth.login()
    index = client.get("/revenue").get_data(as_text=True)
    urls = re.findall(r'(?:src|href)="(/assets/[^"]+\?m=[^"]+)"', index)
    assert any("theme.js" in u for u in urls) and any("bootstrap" in u for u in urls)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        cache = response.headers["Cache-Control"]
        assert "max-age=31536000" in cache and "immutable" in cache and "no-cache" not in cache, url


def test_cache002_unversioned_assets_and_pages_are_still_revalidated(client, auth, workspace):
    auth.login()
    logo = client.get("/assets/logo.svg")
    assert logo.status_code == 200
    assert "immutable" not in logo.headers.get("Cache-Control", "")
    page = client.get("/revenue")
    assert "immutable" not in page.headers.get("Cache-Control", "")
    layout = client.get("/_dash-layout")
    assert "max-age=31536000" not in layout.headers.get("Cache-Control", "")


PLOTLY_URL = "/_dash-component-suites/plotly/package_data/plotly.min.js"  # what dcc.Graph loads


def test_cache003_charts_load_the_slim_plotly_js_revalidated_by_etag(client, auth, workspace):
    from app import SLIM_PLOTLY_JS

    assert client.get(PLOTLY_URL).status_code == 401  # behind the log-in, as Dash's own files are
    auth.login()
    response = client.get(PLOTLY_URL)
    assert response.status_code == 200
    assert response.data == SLIM_PLOTLY_JS.read_bytes()
    assert response.data.startswith(
        b"/**\n* plotly.js (pulseboard: scatter, bar, heatmap, funnel - minified) v"
    )
    assert len(response.data) < 1_500_000  # the full bundle is 4.8 MB
    assert response.mimetype in ("text/javascript", "application/javascript")
    etag = response.headers["ETag"]
    again = client.get(PLOTLY_URL, headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.data
    # The fingerprinted name Dash uses with eager_loading gets the same file.
    assert client.get(PLOTLY_URL.replace(".min.js", ".v7_1_0m1700000000.min.js")).data == response.data


def test_cache004_plotly_bundle_full_serves_the_plotly_package_bundle(settings, workspace):
    from pathlib import Path

    import plotly

    from app import create_app
    from tests.conftest import AuthActions

    full = create_app(settings.model_copy(update={"plotly_bundle": "full"})).server.test_client()
    AuthActions(full).login()
    response = full.get(PLOTLY_URL)
    assert response.status_code == 200
    assert response.data == (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()


def test_cache005_static_files_are_gzipped_for_clients_that_take_it(client, auth, workspace):
    """Dash's scripts, /assets and plotly.js go compressed (a quarter of the bytes on a phone's
    connection); the same bytes once unpacked, and as they are for a client without gzip."""
    import gzip

    auth.login()
    index = client.get("/revenue").get_data(as_text=True)
    scripts = re.findall(r'src="(/_dash-component-suites/[^"]+\.js[^"]*)"', index)
    css = re.findall(r'href="(/assets/[^"]+\.css\?m=[^"]+)"', index)
    assert scripts and css
    for url in [*scripts[:4], css[0], PLOTLY_URL]:
        plain = client.get(url)
        assert plain.status_code == 200 and "Content-Encoding" not in plain.headers, url
        packed = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert packed.headers["Content-Encoding"] == "gzip", url
        assert "Accept-Encoding" in packed.headers["Vary"]
        assert gzip.decompress(packed.data) == plain.data, url
        if len(plain.data) > 100_000:
            assert len(packed.data) < len(plain.data) / 2.5, (url, len(packed.data), len(plain.data))
    refused = client.get(PLOTLY_URL, headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers
    # a callback answer is left as it is: each is new, and small
    layout = client.get("/_dash-layout", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in layout.headers
