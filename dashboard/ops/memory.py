"""Keep a long-running process's memory flat: jemalloc where installed, else glibc's allocator tuned.

Measured (``bench.load`` and an in-process replay, 6 clients asking for new date ranges): a
server's RSS grew without end, 534 MB -> 3.1 GB in three minutes at 1M payments, while the
query cache held ~180 MB and Python's own allocations were ~20 MB. The growth was glibc's
heaps: after a large block (a DuckDB result, an Arrow buffer, a JSON response) is freed,
glibc raises its mmap threshold (up to 32 MB), so later large blocks come from the per-thread
heaps instead, and the heaps fragment around the small long-lived blocks between them. A fixed
threshold keeps large blocks in their own mappings, returned to the system when freed: the same
replay stayed at ~720 MB instead of 1.3 GB, for the same work.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import os
import sys
import threading
from collections.abc import Mapping

logger = logging.getLogger(__name__)

#: mallopt parameter numbers (glibc's malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
#: blocks of at least this many bytes get a mapping of their own (glibc's starting default;
#: setting it also turns off the dynamic raise that caused the growth)
MMAP_THRESHOLD_BYTES = 128 * 1024
#: free memory at the top of a heap beyond this is returned to the system
TRIM_THRESHOLD_BYTES = 4 * 1024 * 1024


@functools.cache
def _libc_function(name: str):
    """The C library's ``name`` (``mallopt``, ``malloc_trim``), or None where it lacks it.

    Looked up once: ``ctypes.util.find_library`` runs ``ldconfig`` in a subprocess, which a
    trim every 30 s must not fork from a server of a gigabyte.
    """
    try:
        return getattr(ctypes.CDLL(ctypes.util.find_library("c")), name)
    except (OSError, AttributeError, TypeError):  # musl, macOS: not there
        return None


def limit_heap_fragmentation() -> bool:
    """Fix glibc's mmap and trim thresholds for this process; False where libc is not glibc.

    Call once at the start of a long-running process (``serve``, ``worker``, a gunicorn
    worker); short CLI commands do not need it.
    """
    mallopt = _libc_function("mallopt")
    if mallopt is None:  # musl, macOS: no mallopt, nothing to tune
        return False
    ok = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
    )
    if not ok:
        logger.warning("could not set the allocator's thresholds; memory may grow under load")
    return ok


#: how often a long-running process hands its heaps' free pages back (:func:`start_heap_trimmer`)
TRIM_EVERY_SECONDS = 30.0


def trim_heaps() -> bool:
    """Return the free pages inside glibc's heaps to the system (``malloc_trim(0)``); False elsewhere.

    The trim threshold only gives back free memory at a heap's top; pages freed in the middle
    of a thread's heap stay resident until this ``madvise``s them away.
    """
    malloc_trim = _libc_function("malloc_trim")
    if malloc_trim is None:  # musl, macOS: no malloc_trim
        return False
    malloc_trim(0)
    return True


def start_heap_trimmer(stop: threading.Event, every: float = TRIM_EVERY_SECONDS) -> threading.Thread:
    """A daemon thread that calls :func:`trim_heaps` every ``every`` seconds until ``stop`` is set.

    It runs as background work: lowered, and after the page callbacks have settled, since a
    trim takes each heap's lock for the few milliseconds it walks it (~2 ms in a fresh process).
    Measured at 10M payments (``bench.load``, 10 minutes, a third of page loads over new
    ranges): the main heap stayed at 68-70 MB resident instead of growing 73 -> 100 MB; the
    threads' heaps still grow (live objects, not free pages).
    """

    def run() -> None:
        from dashboard.ops.priority import lower_this_thread, yield_to_pages

        lower_this_thread()
        while not stop.wait(every):
            yield_to_pages()
            if not trim_heaps():
                return

    thread = threading.Thread(target=run, name="pb-heap-trim", daemon=True)
    thread.start()
    return thread


#: where Debian-family systems (``libjemalloc2``) and others put jemalloc
JEMALLOC_DIRS = ("/usr/lib/{multiarch}", "/usr/lib64", "/usr/lib", "/usr/local/lib")
JEMALLOC_NAME = "libjemalloc.so.2"
#: jemalloc's settings for a server, unless the operator set MALLOC_CONF: as many arenas as
#: cores (its default, four per core, kept ~300 MB more resident here), and freed pages handed
#: back at once instead of after 10 s. Measured (``bench.load``, 10 minutes, a third of page
#: loads over new ranges, 10M payments; docs/deploy.md, "Memory, stop 36"): RSS grew +38 and
#: +45 MB over the second half (+14 and +27 beyond DuckDB's pool and the answer cache) against
#: +34 to +57 MB with glibc's; peak RSS 961-974 MB against 1,058-1,218; the same requests a
#: minute.
JEMALLOC_CONF = "narenas:{cores},dirty_decay_ms:0,muzzy_decay_ms:0"
#: set in the environment of a process re-run under jemalloc, so it is never re-run twice
REEXEC_MARK = "PULSEBOARD_ALLOCATOR_LOADED"


def jemalloc_path() -> str | None:
    """The path of jemalloc's shared library on this machine, or None where it is not installed."""
    import sysconfig

    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    for directory in JEMALLOC_DIRS:
        candidate = os.path.join(directory.format(multiarch=multiarch), JEMALLOC_NAME)
        if os.path.isfile(candidate):
            return candidate
    return None


def jemalloc_loaded() -> bool:
    """True when jemalloc is this process's allocator (preloaded by us, the operator or a wrapper)."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            return any("libjemalloc" in line for line in maps)
    except OSError:
        return False


def allocator_environment(
    choice: str, environ: Mapping[str, str], library: str | None
) -> dict[str, str] | None:
    """The environment to re-run this process with under jemalloc, or None to go on as it is.

    None when ``choice`` is ``system``, when this process was already re-run (``REEXEC_MARK``),
    or when ``library`` (:func:`jemalloc_path`) is None. Otherwise ``environ`` with the library
    first in ``LD_PRELOAD`` and, unless set, :data:`JEMALLOC_CONF` as ``MALLOC_CONF``.
    """
    if choice != "jemalloc" or library is None or environ.get(REEXEC_MARK):
        return None
    env = dict(environ)
    env["LD_PRELOAD"] = " ".join(p for p in (library, environ.get("LD_PRELOAD", "")) if p)
    env.setdefault("MALLOC_CONF", JEMALLOC_CONF.format(cores=os.cpu_count() or 1))
    env[REEXEC_MARK] = "1"
    return env


def use_configured_allocator() -> None:
    """:func:`use_allocator` with the ``PULSEBOARD_ALLOCATOR`` setting.

    A bad setting is left to the command's own settings check, which names it.
    """
    from pydantic import ValidationError

    from dashboard.settings import Settings

    try:
        choice = Settings().allocator
    except ValidationError:
        return
    use_allocator(choice)


def use_allocator(choice: str) -> None:
    """Re-run this process under jemalloc when ``choice`` asks for it and it is installed.

    Call first thing in a long-running command (``serve``, ``worker``), before it opens a file
    or starts a thread: ``os.execve`` replaces the process (same pid, same arguments), so a
    service manager or a test that started it sees no difference. It does nothing inside
    another program (a test runner, or a wrapper that already started threads). Where jemalloc is missing the
    process goes on with the C library's allocator (tuned by :func:`limit_heap_fragmentation`).
    """
    if choice != "jemalloc" or jemalloc_loaded():
        return
    program = os.path.normpath(sys.argv[0])
    started_as_cli = os.path.basename(program) == "pulseboard" or program.endswith(
        os.path.join("dashboard", "__main__.py")
    )
    if not started_as_cli or threading.active_count() > 1:
        # Called from inside another program (a test runner, a wrapper that started threads):
        # re-running the command line would run that program again, or drop its threads.
        logger.info("not re-run under jemalloc: this process is not a bare `pulseboard` command")
        return
    library = jemalloc_path()
    env = allocator_environment(choice, os.environ, library)
    if env is None:
        if library is None:
            logger.info("jemalloc is not installed (Debian: libjemalloc2); using the C library's allocator")
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-m", "dashboard", *sys.argv[1:]], env)


def resident_bytes() -> int | None:
    """This process's resident set size (RSS) in bytes; None where /proc is not there."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def memory_breakdown(services) -> dict[str, int]:
    """Where this server's memory is, in bytes (the ``pulseboard_memory_bytes`` gauge's parts).

    - ``rss``: resident memory of the whole process;
    - ``warehouse``: DuckDB's buffer pool and working memory (``duckdb_memory()``), when the
      warehouse is a DuckDB file and already open (this never opens it);
    - ``answer_cache``: the query cache's in-process layer, as it counts its answers.
    What RSS holds beyond these is the interpreter and its libraries, Python objects and the
    buffers of requests in flight: about 470 MB after a server's warm-up. (glibc's own account
    of its heaps was left out: it counts memory handed out but never touched, and read 17 GB in
    a process of 1.2 GB RSS.)
    """
    out: dict[str, int] = {}
    rss = resident_bytes()
    if rss is not None:
        out["rss"] = rss
    warehouse = services.open_warehouse  # a scrape must not open it
    if warehouse is not None and warehouse.backend == "duckdb":
        try:
            used = (
                warehouse.cursor().execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()
            )
            out["warehouse"] = int(used[0] or 0)
        except Exception:  # closing or locked: this scrape goes without it
            logger.debug("could not read the warehouse's memory", exc_info=True)
    query_cache = services.open_query_cache
    if query_cache is not None:
        out["answer_cache"] = query_cache.cache.memory.size_bytes
    return out
