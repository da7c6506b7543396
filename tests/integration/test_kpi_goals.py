"""KPI cards on the analytics pages with a goal set: progress and pace render (a regression test)."""

from __future__ import annotations

import json
from datetime import date

from dashboard.accounts import WorkspaceContext
from dashboard.goals import set_goal
from dashboard.models import Role
from tests.integration.test_analytics_callbacks import data, render_page  # noqa: F401 - fixture


def test_kpg001_revenue_kpis_render_goal_progress(app, client, auth, services, workspace, data):  # noqa: F811
    owner = WorkspaceContext(user_id=1, role=Role.OWNER, workspace=workspace)
    set_goal(services, owner, "net_revenue", "month", date.today(), 1_000_000)
    auth.login("owner@acme.test")
    body = json.dumps(render_page(client, app, "revenue", ("kpis",)))
    assert "month goal" in body and "% of" in body
    assert "pb-goal-bar" in body
