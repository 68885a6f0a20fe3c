"""Guards that end an overrunning run cleanly: a wall-clock watchdog on every solver call,
and a memory budget for the whole run.

**Time.** CP-SAT and HiGHS take a time limit, but do not always keep it (CP-SAT's
presolve can run past ``max_time_in_seconds``, OR-Tools issue #5163; HiGHS checks its
limit only at some points of presolve). Every solver call of lungang goes through
:func:`cp_solve` or :func:`watch`: a watchdog thread asks the solver to stop
(``StopSearch`` / ``cancelSolve``) once the call has run :func:`overrun_margin` past
its own limit (10 % of the limit, at least 5 s). The call then returns what it has (a
plan found so far, or exit 4). If it still has not returned :data:`STOP_GRACE_S`
seconds later and the command line enabled :func:`hard_stop`, the process ends with
exit 4 and a message (nothing is half-written then: plan folders are written only
after the solve, into temporary siblings that the next run removes).

**Memory.** ``[solver] memory_limit_gb`` bounds the process's resident memory (RSS:
what the kernel's out-of-memory killer counts); 0 means
:func:`default_memory_limit_bytes`. A watchdog thread reads the RSS every
:data:`POLL_S` seconds; above the limit it stops every running solver call and raises
:class:`MemoryLimitError` (exit 4) in the main thread. ``RLIMIT_AS`` is not used: it
caps *virtual* memory, which OR-Tools' worker threads (stacks and per-thread malloc
arenas) and the numeric libraries reserve far beyond what they touch, and an allocation
that fails in a CP-SAT worker thread aborts the process (``std::bad_alloc``) instead of
returning an error.
"""

from __future__ import annotations

import _thread
import contextlib
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import ExitCode, NoPlanError

#: A solver call is stopped once it runs this share of its own limit past it ...
MARGIN_SHARE = 0.10
#: ... or this many seconds, whichever is more.
MIN_MARGIN_S = 5.0
#: After a stop request, seconds a call has to return before the process exits (only
#: with :func:`hard_stop`).
STOP_GRACE_S = 10.0
#: Seconds between two readings of the resident memory.
POLL_S = 0.1
#: ``memory_limit_gb = 0``: this share of the machine's (or container's) memory ...
DEFAULT_MEMORY_SHARE = 0.75
#: ... and at most this share of the memory available when the run starts.
DEFAULT_AVAILABLE_SHARE = 0.90
#: With :func:`hard_stop`, resident memory this far above the limit ends the process at
#: once (the stop request was not fast enough).
HARD_FACTOR = 1.25

_lock = threading.Lock()
_active: set[Callable[[], None]] = set()  # stop functions of the solver calls running now
_hard = threading.Event()  # set: a stuck call ends the process (the command line only)


class MemoryLimitError(NoPlanError):
    """The run went above its memory budget (``[solver] memory_limit_gb``). Exit code 4."""


def overrun_margin(limit_s: float) -> float:
    """Seconds a solver call may run past its own time limit before it is stopped."""
    return max(MIN_MARGIN_S, MARGIN_SHARE * float(limit_s))


@contextlib.contextmanager
def hard_stop() -> Iterator[None]:
    """Within this block, a solver call that ignores a stop request ends the process
    (exit 4, with a message on stderr). The command line runs its commands in it."""
    was = _hard.is_set()
    _hard.set()
    try:
        yield
    finally:
        if not was:
            _hard.clear()


def _say(message: str) -> None:
    try:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _exit_now(message: str) -> None:
    _say(f"no plan: {message}")
    os._exit(int(ExitCode.NO_PLAN))


@dataclass
class Watch:
    """What a :func:`watch` ed call's watchdog did (``stopped``: it asked the solver to stop)."""

    what: str
    limit_s: float
    stopped: bool = False


@contextlib.contextmanager
def watch(stop: Callable[[], None], limit_s: float, what: str) -> Iterator[Watch]:
    """Run a solver call under a watchdog: ``stop()`` is called once the block has run
    :func:`overrun_margin` past ``limit_s`` (and by the memory guard when it trips)."""
    state = Watch(what, float(limit_s))
    done = threading.Event()

    def overrun() -> None:
        wait = float(limit_s) + overrun_margin(limit_s)
        if not math.isfinite(wait) or wait > threading.TIMEOUT_MAX:
            done.wait()  # no limit to keep (CP-SAT's default is infinity)
            return
        if done.wait(max(wait, 0.0)):
            return
        state.stopped = True
        _say(
            f"warning: {what} ran {overrun_margin(limit_s):.0f} s past its time limit "
            f"({limit_s:g} s); stopping it"
        )
        stop()
        if not done.wait(STOP_GRACE_S) and _hard.is_set():
            _exit_now(
                f"{what} did not stop {STOP_GRACE_S:g} s after being asked to, "
                f"{limit_s + overrun_margin(limit_s):.0f} s into a call limited to {limit_s:g} s"
            )

    with _lock:
        _active.add(stop)
    dog = threading.Thread(target=overrun, name=f"lungang-watch-{what}", daemon=True)
    dog.start()
    try:
        yield state
    finally:
        done.set()
        with _lock:
            _active.discard(stop)


def cp_solve(solver, model, callback=None) -> int:
    """``solver.solve(model, callback)`` under :func:`watch` (limit: the solver's own
    ``max_time_in_seconds``). Returns CP-SAT's status code."""
    limit = float(solver.parameters.max_time_in_seconds)
    with watch(solver.stop_search, limit, "CP-SAT"):
        return solver.solve(model, callback)


def stop_all() -> None:
    """Ask every solver call running now to stop."""
    with _lock:
        stops = list(_active)
    for stop in stops:
        with contextlib.suppress(Exception):
            stop()


# --------------------------------------------------------------------------- memory


def rss_bytes() -> int:
    """The process's resident memory now (Linux), or its peak so far elsewhere."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(peak) if sys.platform == "darwin" else int(peak) * 1024


def _meminfo(key: str) -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _cgroup_limit() -> int | None:
    for f in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(f).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 2**60:
            return int(text)
    return None


def machine_memory_bytes() -> int | None:
    """The machine's physical memory, or the container's limit when that is lower."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = _meminfo("MemTotal")
    cg = _cgroup_limit()
    if total is None:
        return cg
    return min(total, cg) if cg else total


def default_memory_limit_bytes() -> int | None:
    """The budget of ``memory_limit_gb = 0``: the smaller of 75 % of the machine's (or
    container's) memory and 90 % of the memory available when the run starts (plus what
    the process holds already). None when neither is known (no limit)."""
    total = machine_memory_bytes()
    limits = []
    if total:
        limits.append(DEFAULT_MEMORY_SHARE * total)
    avail = _meminfo("MemAvailable")
    if avail is not None:
        limits.append(DEFAULT_AVAILABLE_SHARE * (avail + rss_bytes()))
    return int(min(limits)) if limits else None


def memory_limit_bytes(limit_gb: float) -> int | None:
    """``[solver] memory_limit_gb`` in bytes (0: :func:`default_memory_limit_bytes`)."""
    if limit_gb and limit_gb > 0:
        return int(limit_gb * 1e9)
    return default_memory_limit_bytes()


def _gb(n: float) -> str:
    return f"{n / 1e9:.2f} GB"


class MemoryGuard:
    """Keep the process under ``limit`` bytes of resident memory (a context manager).

    Above the limit, every solver call is asked to stop and :class:`MemoryLimitError` is
    raised in the main thread (at once when the guard is entered above the limit). With
    :func:`hard_stop`, memory :data:`HARD_FACTOR` times the limit, or a run that goes on
    :data:`STOP_GRACE_S` seconds after the stop, ends the process with exit 4.
    """

    _SIGNAL = getattr(signal, "SIGUSR1", None)

    def __init__(self, limit: int | None, source: str = "[solver] memory_limit_gb"):
        self.limit = limit
        self.source = source
        self.peak = 0
        self.tripped: str | None = None
        self._done = threading.Event()
        self._previous = None
        self._main = threading.current_thread() is threading.main_thread()

    def message(self, rss: int) -> str:
        return (
            f"memory use reached {_gb(rss)}, above the budget of {_gb(self.limit)} "
            f"({self.source}); the run was stopped before the system would kill it. "
            "Lower [solver] max_candidates, split the district, or raise memory_limit_gb"
        )

    def _raise(self, signum=None, frame=None) -> None:
        raise MemoryLimitError(self.tripped or "memory budget exceeded")

    def __enter__(self) -> MemoryGuard:
        if self.limit is None:
            return self
        rss = rss_bytes()
        self.peak = rss
        if rss > self.limit:
            self.tripped = self.message(rss)
            raise MemoryLimitError(self.tripped)
        if self._main and self._SIGNAL is not None:
            self._previous = signal.signal(self._SIGNAL, self._raise)
        threading.Thread(target=self._poll, name="lungang-memory", daemon=True).start()
        return self

    def _poll(self) -> None:
        tripped_at = None
        while not self._done.wait(POLL_S):
            rss = rss_bytes()
            self.peak = max(self.peak, rss)
            if self.tripped is None and rss > self.limit:
                self.tripped = self.message(rss)
                tripped_at = time.monotonic()
                stop_all()
                if self._main and self._SIGNAL is not None:
                    _thread.interrupt_main(self._SIGNAL)
            elif self.tripped is not None and _hard.is_set():
                if rss > HARD_FACTOR * self.limit or time.monotonic() - tripped_at > STOP_GRACE_S:
                    _exit_now(self.message(max(rss, self.peak)))

    def __exit__(self, exc_type, exc, tb) -> bool:
        self._done.set()
        if self._previous is not None:
            signal.signal(self._SIGNAL, self._previous)
            self._previous = None
        if self.tripped is not None and not isinstance(exc, MemoryLimitError):
            # the interrupt was swallowed somewhere, or arrived after the work: still exit 4
            raise MemoryLimitError(self.tripped) from exc
        return False


@contextlib.contextmanager
def run_guard(scenario) -> Iterator[MemoryGuard]:
    """The command line's guard around a run: the memory budget of ``scenario`` and
    :func:`hard_stop` for solver calls that ignore a stop request."""
    limit = memory_limit_bytes(scenario.solver.memory_limit_gb)
    source = (
        f"[solver] memory_limit_gb = {scenario.solver.memory_limit_gb:g}"
        if scenario.solver.memory_limit_gb
        else "[solver] memory_limit_gb = 0: a safe share of this machine"
    )
    with hard_stop(), MemoryGuard(limit, source) as guard:
        yield guard
