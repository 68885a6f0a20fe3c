"""One time budget for a whole call, and the progress events of that call.

Two objects travel down a long library call (``solve``, one objective of ``compare``,
one district of a batch, one year of a multi-year plan):

- :class:`Budget`: the seconds the call may take from its start to its plan written,
  on one clock. Every step reads what is left of it instead of starting a clock of its
  own, so the whole call, not only the search, keeps to ``[solver] time_limit_s``.
- :class:`Progress`: what the call is doing. The search engine and the drivers report
  events (the phase, each improving plan, a proven bound, the step of a sweep, notes);
  the sinks attached decide what is shown (the command line's live display, its
  plain log lines, a log file). Without sinks it only keeps the state.

How a budget of ``L`` seconds is split (what the command line's ``solve`` does):

1. loading, the counting checks and the model build take what they take (they cannot be
   interrupted; they are counted);
2. the search (warm start, LP guide, restricted search, full search) runs until
   ``L - reserve``; ``reserve`` (:func:`finish_reserve`) keeps the analysis floor
   (:func:`analysis_floor`: :data:`ANALYSIS_FLOOR_S`, or
   :data:`ANALYSIS_S_PER_1000_STAFF` per 1,000 staff when more) and an estimate of the
   writing time (:data:`WRITE_S_PER_1000_STAFF` per 1,000 staff, at least
   :data:`WRITE_MIN_S`);
3. the analysis (``explain.json``) gets what is left minus the writing estimate, at
   least the analysis floor; people it could not analyse in that time are listed
   as "not analysed";
4. writing the plan folder takes what it takes.

A search that proves optimality early hands its time on to the analysis.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

Clock = Callable[[], float]

#: Seconds the analysis of a plan gets at least, however little the search left ...
ANALYSIS_FLOOR_S = 2.0
#: ... or this many per 1,000 staff when that is more (the sections of ``explain.json``
#: before the per-person part took about 3 s at 15,000 staff on a loaded machine).
ANALYSIS_S_PER_1000_STAFF = 0.15
#: Seconds kept for writing a plan folder per 1,000 staff: the CSV and JSON files,
#: plan.xlsx and report.html took 2.9 s at 15,000 staff and 6.3 s at 40,000 on an idle
#: 2-core machine (7.3 s and 14.6 s on a loaded one). A larger reserve starves the LP
#: guide: with 0.5 s per 1,000 staff the 40,000-staff LP got 18 s of a 60 s limit, did
#: not finish, and the plan was the warm start's (gap 100%).
WRITE_S_PER_1000_STAFF = 0.25
#: Seconds kept for writing a plan folder at least.
WRITE_MIN_S = 0.5


def write_estimate(n_staff: int) -> float:
    """Seconds kept for writing the plan folder of a district of ``n_staff`` staff."""
    return max(WRITE_MIN_S, WRITE_S_PER_1000_STAFF * n_staff / 1000)


def analysis_floor(n_staff: int) -> float:
    """Seconds the analysis of a plan for ``n_staff`` staff gets at least."""
    return max(ANALYSIS_FLOOR_S, ANALYSIS_S_PER_1000_STAFF * n_staff / 1000)


def finish_reserve(n_staff: int) -> float:
    """Seconds a search leaves for the analysis and the writing that follow it."""
    return analysis_floor(n_staff) + write_estimate(n_staff)


class Budget:
    """The seconds a call may take, on one clock, from its start.

    Parameters
    ----------
    limit_s
        Seconds for the whole call; ``None`` is no limit.
    clock
        Seconds on a monotonic clock (default :func:`time.perf_counter`); tests pass a
        fake one.
    start
        When the call started on ``clock`` (default: now).
    reserve_s
        Seconds the search leaves for what follows it (:func:`finish_reserve`).
    """

    def __init__(
        self,
        limit_s: float | None,
        *,
        clock: Clock = time.perf_counter,
        start: float | None = None,
        reserve_s: float = 0.0,
    ):
        self.limit_s = math.inf if limit_s is None else float(limit_s)
        self.clock = clock
        self.start = clock() if start is None else float(start)
        self.reserve_s = float(reserve_s)

    def __repr__(self) -> str:
        return f"Budget({self.limit_s:g} s, {self.elapsed():.1f} s elapsed, reserve {self.reserve_s:g} s)"

    @property
    def end(self) -> float:
        """When the call must end, on the clock."""
        return self.start + self.limit_s

    def elapsed(self) -> float:
        """Seconds since the call started."""
        return self.clock() - self.start

    def left(self) -> float:
        """Seconds left of the whole budget (negative when overrun)."""
        return self.end - self.clock()

    def search_left(self) -> float:
        """Seconds left for the search: what is left minus the reserve."""
        return self.left() - self.reserve_s

    def analysis_s(self, n_staff: int) -> float:
        """Seconds for the analysis now: what is left minus the writing estimate, at
        least :func:`analysis_floor`."""
        return max(analysis_floor(n_staff), self.left() - write_estimate(n_staff))

    def part(self, limit_s: float) -> Budget:
        """A budget of at most ``limit_s`` seconds from now, ending no later than this
        one, on the same clock (one stage of a sweep, one probe)."""
        now = self.clock()
        return Budget(
            max(0.0, min(limit_s, self.end - now)), clock=self.clock, start=now, reserve_s=0.0
        )


# ----------------------------------------------------------------------- events

#: The phases a call reports, in the order ``solve`` goes through them.
PHASES = (
    "loading",
    "checks",
    "build",
    "warm start",
    "LP guide",
    "search",
    "full search",
    "diagnosis",
    "analysis",
    "writing",
)


@dataclass(frozen=True)
class Quotas:
    """The best plan's counts against the minimum quotas: teachers who rotate, key
    teachers among them and cadres (principals and vice principals)."""

    teachers: int
    teachers_min: int
    key: int
    key_min: int
    cadres: int
    cadres_min: int

    @property
    def met(self) -> int:
        return sum(
            (
                self.teachers >= self.teachers_min,
                self.key >= self.key_min,
                self.cadres >= self.cadres_min,
            )
        )

    def text(self) -> str:
        return (
            f"quotas met {self.met}/3 (teachers {self.teachers}/{self.teachers_min}, "
            f"key {self.key}/{self.key_min}, cadres {self.cadres}/{self.cadres_min})"
        )


@dataclass(frozen=True)
class State:
    """What a call is doing now: every renderer shows these figures.

    ``bound`` is a proven lower bound of the whole problem being searched (never a
    restricted model's own bound); ``objective`` the best plan's value; both reset
    when a new problem starts (:meth:`Progress.problem`).
    """

    phase: str = ""
    detail: str = ""
    problem: str = "objective"
    objective: float | None = None
    bound: float | None = None
    quotas: Quotas | None = None
    step: str = ""
    step_index: int = 0
    step_total: int = 0
    limit_s: float = math.inf
    elapsed_s: float = 0.0
    #: when the phase started, in the call's elapsed seconds
    phase_start_s: float = 0.0

    @property
    def gap(self) -> float | None:
        """Relative gap between the best plan and the bound."""
        if self.objective is None or self.bound is None:
            return None
        return max(0.0, self.objective - self.bound) / max(abs(self.objective), 1e-9)


@dataclass(frozen=True)
class Event:
    """One event: ``kind`` is ``phase``, ``plan``, ``bound``, ``problem``, ``step``,
    ``note``, ``tick`` or ``done``; ``text`` says it in words; ``level`` is how much verbosity a
    note needs (1 normal, 2 ``-v``)."""

    kind: str
    text: str = ""
    level: int = 1


class Sink:
    """A receiver of events (the command line's renderers); the default ignores them."""

    def handle(self, event: Event, state: State) -> None:  # pragma: no cover - interface
        pass

    def close(self) -> None:
        pass


def fmt(x: float | None) -> str:
    """A figure as the progress lines print it."""
    return "-" if x is None else f"{x:.4f}"


def stamp(state: State) -> str:
    """Elapsed time against the limit, as lines start: ``[  12.3/60 s]``."""
    limit = "" if math.isinf(state.limit_s) else f"/{state.limit_s:g}"
    return f"[{state.elapsed_s:6.1f}{limit} s]"


def figures(state: State) -> str:
    """The figures of a progress line: phase, step, best plan, bound, gap and quotas."""
    parts = [state.phase or "-"]
    if state.step_total:
        parts.append(f"[{state.step_index}/{state.step_total} {state.step}]")
    if state.objective is None and state.bound is None:  # nothing found yet: the phase is the news
        return f"{parts[0]} for {state.elapsed_s - state.phase_start_s:.0f} s"
    parts.append(f"{state.problem} {fmt(state.objective)}")
    parts.append(f"bound {fmt(state.bound)}")
    if state.gap is not None:
        parts.append(f"gap {100 * state.gap:.2f}%")
    if state.quotas is not None:
        parts.append(state.quotas.text())
    return "  ".join(parts)


class Progress:
    """The progress of a call: events in, state kept, sinks told.

    The engine calls it from CP-SAT's solution callbacks (other threads) and renderers
    read it from theirs, so every change holds a lock (and the sinks another). With no sinks it only keeps the
    state (what a library call gets by default).
    """

    def __init__(self, *sinks: Sink, budget: Budget | None = None, clock: Clock | None = None):
        self.sinks: list[Sink] = list(sinks)
        self._lock = threading.RLock()
        self._sink_lock = threading.RLock()
        self._state = State()
        self.budget = budget
        self.clock = clock or (budget.clock if budget else time.perf_counter)
        self._start = self.clock()

    # -- state
    @property
    def state(self) -> State:
        with self._lock:
            return self._now(self._state)

    def _now(self, st: State) -> State:
        b = self.budget
        if b is None:
            return replace(st, elapsed_s=self.clock() - self._start)
        return replace(st, elapsed_s=b.elapsed(), limit_s=b.limit_s)

    def use(self, budget: Budget) -> None:
        """Show elapsed time against ``budget`` from now on."""
        with self._lock:
            self.budget = budget

    def _emit(self, event: Event, **changes) -> None:
        with self._lock:
            if changes:
                self._state = replace(self._state, **changes)
            st = self._now(self._state)
        self._tell(event, st)

    def _tell(self, event: Event, st: State) -> None:
        # Sinks are told outside the state lock: a live display's refresh thread holds
        # its own lock while it reads the state, and printing above it takes that lock.
        with self._sink_lock:
            for s in self.sinks:
                s.handle(event, st)

    # -- events
    def phase(self, name: str, detail: str = "") -> None:
        """A new phase starts (:data:`PHASES`)."""
        with self._lock:
            now = self._now(self._state).elapsed_s
        self._emit(
            Event("phase", f"{name}{': ' + detail if detail else ''}"),
            phase=name,
            detail=detail,
            phase_start_s=now,
        )

    def problem(self, label: str = "objective") -> None:
        """A new problem starts (an objective, a lexicographic stage): best plan and
        bound are forgotten."""
        self._emit(Event("problem", label), problem=label, objective=None, bound=None, quotas=None)

    def bound(self, value: float) -> None:
        """A proven lower bound of the whole problem (the best one is kept)."""
        with self._lock:
            old = self._state.bound
            best = value if old is None else max(old, value)
            if self._state.objective is not None:
                best = min(best, self._state.objective)
            self._state = replace(self._state, bound=best)
            st = self._now(self._state)
        self._tell(Event("bound", f"bound {fmt(best)}"), st)

    def plan(
        self, objective: float, bound: float | None = None, quotas: Quotas | None = None
    ) -> None:
        """An improving plan; ``bound`` only when it is a bound of the whole problem."""
        with self._lock:
            st = self._state
            if st.objective is not None and objective > st.objective:
                return  # not improving (a later search restarting from a worse plan)
            b = st.bound if bound is None else (bound if st.bound is None else max(st.bound, bound))
            if b is not None:
                b = min(b, objective)  # the bound holds for the optimum, which is ≤ this plan
            q = quotas if quotas is not None else st.quotas
            self._state = replace(st, objective=objective, bound=b, quotas=q)
            now = self._now(self._state)
        text = f"{st.problem} {fmt(objective)}  bound {fmt(b)}"
        self._tell(Event("plan", text, level=2), now)

    def final(
        self, objective: float, bound: float | None = None, quotas: Quotas | None = None
    ) -> None:
        """The plan's exact objective and bound once the search is over: the plan's
        terms recomputed from the plan, where the searches reported the model's scaled
        integer objective (which rounds each school's cost). Replaces the figures even
        when it is above the last plan's, and is always shown."""
        with self._lock:
            st = self._state
            b = st.bound if bound is None else bound
            q = quotas if quotas is not None else st.quotas
            self._state = replace(st, problem="objective", objective=objective, bound=b, quotas=q)
            now = self._now(self._state)
        self._tell(Event("final", f"objective {fmt(objective)}  bound {fmt(b)}"), now)

    def step(self, label: str, index: int, total: int) -> None:
        """Step ``index`` of ``total`` starts (an objective of ``compare``, a point of
        the sweep)."""
        text = f"{label} ({index} of {total}, {total - index} after it)"
        self._emit(Event("step", text), step=label, step_index=index, step_total=total)

    def note(self, text: str, level: int = 1) -> None:
        """A message: ``level`` 1 is shown by default, 2 with ``-v``."""
        self._emit(Event("note", text, level=level))

    def tick(self) -> None:
        """Time passes (a renderer may print a progress line; the heartbeat calls it)."""
        self._emit(Event("tick", level=2))

    def done(self, text: str) -> None:
        """The last line: where the plan was written, or why none was."""
        self._emit(Event("done", text, level=0))

    def close(self) -> None:
        for s in self.sinks:
            s.close()


class LinesSink(Sink):
    """Events as text lines to a callable: what a library caller that passes
    ``progress=print`` (or a list's ``append``) gets: notes, phases (their detail when
    they have one) and every plan."""

    def __init__(self, say: Callable[[str], None]):
        self.say = say

    def handle(self, event: Event, state: State) -> None:
        if event.kind in ("note", "plan", "step", "done"):
            self.say(event.text)
        elif event.kind == "phase":
            self.say(state.detail or state.phase)


ProgressLike = Progress | Callable[[str], None] | None


def as_progress(progress: ProgressLike) -> Progress:
    """``progress`` as a :class:`Progress`: itself, a callable taking lines (wrapped in
    a :class:`LinesSink`), or a silent one for ``None``."""
    if isinstance(progress, Progress):
        return progress
    if progress is None:
        return Progress()
    return Progress(LinesSink(progress))


@dataclass
class Throttle:
    """At most one ``True`` every ``every_s`` seconds of ``clock``."""

    every_s: float
    clock: Clock = time.perf_counter
    last: float = field(default=-math.inf)

    def __call__(self) -> bool:
        now = self.clock()
        if now - self.last >= self.every_s:
            self.last = now
            return True
        return False
