"""The slim plotly.js the app serves draws every trace type the code builds, without warnings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components import ids
from tests.browser.conftest import DESKTOP, login, wait_for
from tests.unit.test_plotly_bundle import trace_types_in_code

pytestmark = pytest.mark.browser

MANIFEST = json.loads((Path(__file__).resolve().parents[2] / "vendor" / "plotly" / "bundle.json").read_text())

# Draws one small figure per trace type in the page's own plotly.js and reports what it drew.
# plotly.js logs through console.trace/warn/error; an unregistered type is quietly drawn as a
# scatter (its `type` falls back to the default), so the type each trace ended up with is checked.
_DRAW_EACH_JS = """
const [types, done] = arguments;
const said = [];
const kept = {};
for (const level of ['trace', 'warn', 'error']) {
    kept[level] = console[level];
    console[level] = (...args) => said.push(level + ': ' + args.join(' '));
}
const drawn = {};
(async () => {
    for (const type of types) {
        const div = document.createElement('div');
        div.style.cssText = 'width: 400px; height: 300px';
        document.body.appendChild(div);
        const trace = type === 'heatmap' ? {type, z: [[1, 2], [3, 4]]} : {type, x: [3, 2, 1], y: ['a', 'b', 'c']};
        await Plotly.newPlot(div, [trace]);
        drawn[type] = {
            as: div._fullData[0].type,
            visible: div._fullData[0].visible,
            layers: div.querySelectorAll('.overplot .mlayer > *').length,
        };
        Plotly.purge(div);
        div.remove();
    }
})().catch(e => said.push('error: ' + e)).finally(() => {
    Object.assign(console, kept);
    done({drawn, said});
});
"""


def test_plb001_every_trace_type_the_code_builds_draws_in_the_served_plotly(dash_duo, demo_app):
    dash_duo.start_server(demo_app, navigate=False)
    dash_duo.driver.set_window_size(*DESKTOP)
    login(dash_duo, next_path="/revenue")
    dash_duo.wait_for_text_to_equal(f"#{ids.PAGE_TITLE}", "Revenue", timeout=20)
    # dcc.Graph loads plotly.js when the first chart mounts; the page's charts draw with it.
    wait_for(
        lambda: dash_duo.driver.execute_script(
            "return window.Plotly && document.querySelectorAll('.js-plotly-plot .trace').length"
        ),
        what="a chart drawn",
    )
    driver = dash_duo.driver
    assert driver.execute_script("return Plotly.version") == MANIFEST["plotly_js"]
    # The served file is the slim bundle: exactly the trace types it was built with.
    registered = driver.execute_script("return Object.keys(Plotly.PlotSchema.get().traces).sort()")
    assert registered == sorted(MANIFEST["traces"])

    types = sorted(trace_types_in_code())
    driver.set_script_timeout(30)
    result = driver.execute_async_script(_DRAW_EACH_JS, types)
    assert result["said"] == []
    for trace_type in types:
        drawn = result["drawn"][trace_type]
        assert drawn == {"as": trace_type, "visible": True, "layers": 1}, (trace_type, drawn)
    assert dash_duo.get_logs() == []
