"""The job registry's limits: per workspace and per kind."""

from __future__ import annotations

import threading

import pytest

from dashboard import jobs


def test_job001_the_limit_counts_jobs_of_one_kind_and_names_them():
    registry = jobs.JobRegistry()
    release = threading.Event()
    started = [
        registry.start(
            lambda job: release.wait(10), workspace_id=1, user_id=1, kind="insights", label="Insights"
        )
        for _ in range(jobs.MAX_RUNNING_PER_WORKSPACE)
    ]
    try:
        with pytest.raises(jobs.TooManyJobs, match="several insight generations"):
            registry.start(lambda job: None, workspace_id=1, user_id=1, kind="insights", label="Insights")
        # an upload is not refused because insight panels are generating, nor is another workspace
        upload = registry.start(lambda job: None, workspace_id=1, user_id=1, kind="upload", label="Upload")
        other = registry.start(lambda job: None, workspace_id=2, user_id=2, kind="insights", label="Insights")
        assert registry.wait(upload, 10) and registry.wait(other, 10)
    finally:
        release.set()
    assert all(registry.wait(job, 10) for job in started)
