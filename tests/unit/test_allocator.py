"""Which allocator a long-running command runs under (dashboard.ops.memory.use_allocator)."""

from __future__ import annotations

from dashboard.ops import memory

LIB = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"


def test_alc001_jemalloc_is_preloaded_with_the_server_settings_once():
    env = memory.allocator_environment("jemalloc", {"PATH": "/bin"}, LIB)
    assert env["LD_PRELOAD"] == LIB
    assert env["MALLOC_CONF"].startswith("narenas:") and "dirty_decay_ms:0" in env["MALLOC_CONF"]
    assert env["PATH"] == "/bin" and env[memory.REEXEC_MARK] == "1"
    # the re-run process is not re-run again
    assert memory.allocator_environment("jemalloc", env, LIB) is None


def test_alc002_an_operators_preload_and_malloc_conf_are_kept():
    env = memory.allocator_environment(
        "jemalloc", {"LD_PRELOAD": "/opt/libfoo.so", "MALLOC_CONF": "narenas:8"}, LIB
    )
    assert env["LD_PRELOAD"] == f"{LIB} /opt/libfoo.so"
    assert env["MALLOC_CONF"] == "narenas:8"


def test_alc003_system_or_a_missing_library_goes_on_as_it_is():
    assert memory.allocator_environment("system", {}, LIB) is None
    assert memory.allocator_environment("jemalloc", {}, None) is None


def test_alc004_inside_another_program_the_process_is_not_re_run(monkeypatch):
    """Under pytest (argv[0] is not `pulseboard`) use_allocator must not exec: it returns."""
    called = []
    monkeypatch.setattr(memory.os, "execve", lambda *a: called.append(a))
    monkeypatch.setattr(memory, "jemalloc_loaded", lambda: False)
    monkeypatch.setattr(memory, "jemalloc_path", lambda: LIB)
    monkeypatch.delenv(memory.REEXEC_MARK, raising=False)
    memory.use_allocator("jemalloc")
    assert called == []
    # a bare `pulseboard serve` with one thread is re-run, with its own arguments
    monkeypatch.setattr(memory.sys, "argv", ["/venv/bin/pulseboard", "serve", "--port", "8050"])
    monkeypatch.setattr(memory.threading, "active_count", lambda: 1)
    memory.use_allocator("jemalloc")
    ((executable, argv, env),) = called
    assert argv[1:] == ["-m", "dashboard", "serve", "--port", "8050"]
    assert env["LD_PRELOAD"].startswith(LIB)
