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


def test_job002_a_job_interrupted_by_the_server_stopping_ends_without_a_traceback(caplog):
    """Services.close() interrupts the warehouse's queries: the job ends, said so at INFO."""
    import duckdb

    def work(job):
        raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")

    registry = jobs.JobRegistry()
    with caplog.at_level("INFO", logger="pulseboard.jobs"):
        job = registry.start(work, workspace_id=1, user_id=1, kind="insights", label="Insights")
        assert registry.wait(job, 10)
    assert (job.status, job.error) == ("failed", "stopped: the server was shutting down")
    assert [r.levelname for r in caplog.records if r.name == "pulseboard.jobs"] == ["INFO"]
    assert "shutting down" in caplog.text and "Traceback" not in caplog.text
