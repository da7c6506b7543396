"""Job kinds for the job-queue tests, registered in the test process and in the
``pulseboard worker`` subprocesses the tests start (they import this module before the CLI)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from dashboard.jobqueue.tasks import task


@task("test.record")
def record(job, services, context, payload):
    """Append "<job id> <pid> <workspace slug>" to the payload's log file (one line per run)."""
    time.sleep(float(payload.get("sleep", 0)))
    with open(payload["log"], "a") as handle:  # O_APPEND: lines of two processes do not mix
        handle.write(f"{job.id} {os.getpid()} {context.workspace.slug}\n")
    job.step(result={"pid": os.getpid()})


@task("test.block")
def block(job, services, context, payload):
    """Report half the work, then wait for the payload's release file to appear."""
    job.step(partial=0.5, rows=7, current="halfway")
    Path(payload["started"]).write_text(str(os.getpid()))
    release = Path(payload["release"])
    deadline = time.monotonic() + 120
    while not release.exists():
        if time.monotonic() > deadline:
            raise TimeoutError("the test never released this job")
        time.sleep(0.05)
    job.step(done=1, result={"released": True})
