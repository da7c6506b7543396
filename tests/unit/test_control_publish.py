"""The control file of ``pulseboard serve`` when several servers share one data dir."""

from __future__ import annotations

import json
import stat
import threading

from dashboard import control


def test_servers_publishing_at_once_never_collide(tmp_path):
    # Many publishes at once stand in for servers starting together on a shared data dir: with
    # remove-then-create-exclusively, one of them regularly failed with FileExistsError.
    errors: list[BaseException] = []

    def publish_many(n: int) -> None:
        for _ in range(400):
            try:
                control.publish(tmp_path, f"http://127.0.0.1:{8000 + n}")
            except BaseException as exc:  # noqa: BLE001 - collected, the test asserts none
                errors.append(exc)

    threads = [threading.Thread(target=publish_many, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [p.name for p in tmp_path.iterdir()] == [control.CONTROL_FILE]  # no half-written files left
    path = tmp_path / control.CONTROL_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["url"].startswith("http://127.0.0.1:80")
    assert control.read_control(tmp_path)["token"]
