"""How the command line shows progress: renderers of :mod:`solver.progress` events.

- :class:`LiveSink`: on a terminal, one block on stderr updated in place (at most four
  times a second): the phase, elapsed time against the limit, the best plan's
  objective, the proven bound of the whole problem, the gap and the quotas; phases
  that end and notes scroll above it.
- :class:`PlainSink`: when stderr is not a terminal (CI, a batch log, a pipe): a line
  per phase and at most one progress line every :data:`EVERY_S` seconds with the same
  figures; ``-v`` adds every improving plan; ``-q`` leaves only the last line.
- :class:`LogSink`: ``--log-file``: every event, timestamped.

:class:`Heartbeat` ticks the progress once a second so that a long phase without
events (the LP, the analysis) still gets its progress line.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import TextIO

from rich.console import Console, Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from .progress import Clock, Event, Progress, Sink, State, Throttle, figures, fmt, stamp

#: Seconds between two progress lines of the plain log at most.
EVERY_S = 5.0


def phase_line(event: Event, state: State, lang: str = "en") -> str:
    """The line that says a phase starts (or a step of ``compare``)."""
    return f"{stamp(state)} {_phase_text(event, state, lang)}"


def _phase_text(event: Event, state: State, lang: str) -> str:
    if lang == "en":
        return event.text
    from .output.i18n import message, phase

    if event.kind == "phase":
        detail = f"：{message(state.detail, lang)}" if state.detail else ""
        return f"{phase(state.phase, lang)}{detail}"
    return message(event.text, lang)


def figures_text(state: State, lang: str = "en") -> str:
    """:func:`solver.progress.figures` in ``lang`` (English: exactly it)."""
    if lang == "en":
        return figures(state)
    from .output.i18n import message, phase, text

    parts = [phase(state.phase or "-", lang)]
    if state.step_total:
        step = message(state.step, lang)
        parts.append(f"[{state.step_index}/{state.step_total} {step}]")
    if state.objective is None and state.bound is None:
        return text(
            "pg.for", lang, phase=parts[0], s=f"{state.elapsed_s - state.phase_start_s:.0f}"
        )
    parts.append(f"{text('pg.objective', lang)} {fmt(state.objective)}")
    parts.append(f"{text('pg.bound', lang)} {fmt(state.bound)}")
    if state.gap is not None:
        parts.append(f"{text('pg.gap', lang)} {100 * state.gap:.2f}%")
    if state.quotas is not None:
        parts.append(quotas_text(state, lang))
    return "  ".join(parts)


def quotas_text(state: State, lang: str = "en") -> str:
    """The quotas of the best plan in ``lang``."""
    q = state.quotas
    if lang == "en":
        return q.text()
    from .output.i18n import text

    return text(
        "pg.quotas",
        lang,
        met=q.met,
        t=q.teachers,
        tm=q.teachers_min,
        k=q.key,
        km=q.key_min,
        c=q.cadres,
        cm=q.cadres_min,
    )


def _tr(msg: str, lang: str) -> str:
    if lang == "en":
        return msg
    from .output.i18n import message

    return message(msg, lang)


class PlainSink(Sink):
    """Sparse lines (see the module docstring) through ``write``; ``clock`` is the
    clock of the throttle (a fake one in tests)."""

    def __init__(
        self,
        write: Callable[[str], None],
        verbosity: int = 1,
        every_s: float = EVERY_S,
        clock: Clock | None = None,
        lang: str = "en",
    ):
        self.write, self.verbosity, self.lang = write, verbosity, lang
        self.throttle = Throttle(every_s, clock) if clock else Throttle(every_s)

    def handle(self, event: Event, state: State) -> None:
        if event.kind == "done":
            self.write(_tr(event.text, self.lang))
            return
        if self.verbosity <= 0:
            return
        if event.kind in ("phase", "step"):
            self.write(phase_line(event, state, self.lang))
        elif event.kind == "note":
            if event.level <= self.verbosity:
                self.write(_tr(event.text, self.lang))
        elif (event.kind == "plan" and self.verbosity >= 2) or event.kind == "final":
            self.write(f"{stamp(state)} {figures_text(state, self.lang)}")
        elif event.kind in ("plan", "bound", "tick") and self.throttle():
            self.write(f"{stamp(state)} {figures_text(state, self.lang)}")


class LogSink(Sink):
    """Every event to a file, one line each, timestamped (``--log-file``)."""

    def __init__(self, stream: TextIO, lang: str = "en"):
        self.stream, self.lang = stream, lang

    def handle(self, event: Event, state: State) -> None:
        if event.kind == "tick":
            return
        if event.kind in ("plan", "bound", "final"):
            text = figures_text(state, self.lang)
        elif event.kind == "phase" and self.lang != "en":
            text = _phase_text(event, state, self.lang)
        else:
            text = _tr(event.text, self.lang)
        self.stream.write(f"{stamp(state)} {event.kind:7} {text}\n")
        self.stream.flush()

    def close(self) -> None:
        self.stream.close()


class LiveSink(Sink):
    """The live block on a terminal (see the module docstring)."""

    def __init__(self, console: Console, progress: Progress, verbosity: int = 1, lang: str = "en"):
        self.console, self.progress, self.verbosity, self.lang = console, progress, verbosity, lang
        self.live = Live(
            console=console,
            refresh_per_second=4,
            transient=True,
            get_renderable=self.render,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self.live.start()

    def render(self) -> Group:
        st = self.progress.state
        limit = st.limit_s if not math.isinf(st.limit_s) else max(st.elapsed_s, 1.0)
        head = Table.grid(padding=(0, 1))
        zh = self.lang != "en"
        if zh:
            from .output.i18n import message, phase, text
        head.add_row(
            Text(
                phase(st.phase or "starting", self.lang) if zh else f"{st.phase or 'starting'}",
                style="bold",
            ),
            ProgressBar(total=limit, completed=min(st.elapsed_s, limit), width=30),
            Text(
                f"{st.elapsed_s:.0f} s" + ("" if math.isinf(st.limit_s) else f" / {st.limit_s:g} s")
            ),
            Text(
                f"{st.step_index}/{st.step_total} {message(st.step, self.lang) if zh else st.step}"
                if st.step_total
                else ""
            ),
        )
        if zh:
            problem = text("pg.objective", self.lang) if st.problem == "objective" else st.problem
            line = f"{problem} {fmt(st.objective)}   {text('pg.bound', self.lang)} {fmt(st.bound)}"
            if st.gap is not None:
                line += f"   {text('pg.gap', self.lang)} {100 * st.gap:.2f}%"
        else:
            line = f"{st.problem} {fmt(st.objective)}   bound {fmt(st.bound)}"
            if st.gap is not None:
                line += f"   gap {100 * st.gap:.2f}%"
        rows = [head, Text(line)]
        if st.quotas is not None:
            rows.append(Text(quotas_text(st, self.lang)))
        if st.detail:
            rows.append(Text(message(st.detail, self.lang) if zh else st.detail, style="dim"))
        return Group(*rows)

    def handle(self, event: Event, state: State) -> None:
        if event.kind == "done":
            return  # printed after the block is gone (Ctx.finish)
        if event.kind in ("phase", "step"):
            line = phase_line(event, state, self.lang)
            self.live.console.print(line, markup=False, highlight=False)
        elif event.kind == "note" and event.level <= self.verbosity:
            self.live.console.print(_tr(event.text, self.lang), markup=False, highlight=False)
        elif event.kind == "plan" and self.verbosity >= 2:
            self.live.console.print(
                f"{stamp(state)} {figures_text(state, self.lang)}", markup=False
            )

    def close(self) -> None:
        self.live.stop()


class Heartbeat:
    """Ticks ``progress`` every ``every_s`` seconds on a daemon thread until stopped."""

    def __init__(self, progress: Progress, every_s: float = 1.0):
        self.progress, self.every_s = progress, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lungang-heartbeat", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.progress.tick()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
