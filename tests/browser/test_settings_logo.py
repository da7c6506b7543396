"""Settings → Reports in a real browser: the owner uploads a logo, an SVG is refused with the
reason, Remove works from the keyboard, and the section fits a phone."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from components import ids
from dashboard.accounts import get_workspace
from dashboard.logos import logo_file
from tests.browser.conftest import PHONE, horizontal_overflow, login, wait_for

pytestmark = pytest.mark.browser

PREVIEW_IMG = f"#{ids.SETTINGS_LOGO_PREVIEW} img.pb-logo-image"
REMOVE = f"#{ids.SETTINGS_LOGO} button.pb-logo-remove"


def _choose(dash_duo, path: Path) -> None:
    # dcc.Upload renders a hidden <input type=file> next to the button; Selenium types the path in.
    field = dash_duo.driver.find_element(By.CSS_SELECTOR, f"#{ids.SETTINGS_LOGO} input[type=file]")
    field.send_keys(str(path))


def _message(dash_duo) -> str:
    return dash_duo.find_element(f"#{ids.SETTINGS_LOGO_MESSAGE}").text


def test_setlogo001_owner_uploads_is_refused_an_svg_and_removes_by_keyboard(
    dash_duo, demo_app, demo_services, tmp_path
):
    with demo_services.db.session() as db:
        workspace_id = get_workspace(db, "demo").id
    stored = logo_file(demo_services.settings.data_path, workspace_id)
    png = tmp_path / "brand.png"
    Image.new("RGB", (900, 300), (30, 90, 200)).save(png, format="PNG")
    svg = tmp_path / "brand.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')

    dash_duo.start_server(demo_app, navigate=False)
    dash_duo.driver.set_window_size(*PHONE)
    login(dash_duo, next_path="/settings#reports")
    button = dash_duo.wait_for_element(f"#{ids.SETTINGS_LOGO_UPLOAD}-button", timeout=30)
    # a real button: Tab reaches it, Enter/Space press it (and its click opens the file dialog)
    assert button.tag_name == "button"
    assert dash_duo.driver.execute_script(
        "arguments[0].focus(); return document.activeElement === arguments[0]", button
    )
    assert "no logo yet" in dash_duo.find_element(f"#{ids.SETTINGS_LOGO_PREVIEW}").text.lower()

    _choose(dash_duo, png)
    wait_for(lambda: "Logo saved from brand.png" in _message(dash_duo), what="the saved message")
    image = dash_duo.wait_for_element(PREVIEW_IMG, timeout=10)
    assert image.get_attribute("src").startswith("data:image/png;base64,")
    assert stored.is_file()
    kept = stored.read_bytes()

    _choose(dash_duo, svg)
    wait_for(lambda: "SVG (vector) file cannot be a logo" in _message(dash_duo), what="the SVG refusal")
    assert "The current logo is unchanged." in _message(dash_duo)
    assert stored.read_bytes() == kept
    assert dash_duo.driver.find_elements(By.CSS_SELECTOR, PREVIEW_IMG)  # the preview still shows it

    assert horizontal_overflow(dash_duo) <= 0  # the section fits a 390 px phone

    remove = dash_duo.find_element(REMOVE)
    assert remove.is_enabled()
    remove.send_keys(Keys.ENTER)  # from the keyboard
    wait_for(lambda: "Logo removed" in _message(dash_duo), what="the removed message")
    wait_for(lambda: not dash_duo.driver.find_elements(By.CSS_SELECTOR, PREVIEW_IMG), what="the mark back")
    assert not stored.exists()
    wait_for(lambda: not dash_duo.find_element(REMOVE).is_enabled(), what="Remove disabled")
    logs = dash_duo.get_logs()
    assert logs == [], [entry["message"] for entry in logs]
