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
