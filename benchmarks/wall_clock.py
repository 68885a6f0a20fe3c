"""Does ``lungang solve --time-limit L`` return within L? Wall time against the limit.

``python -m benchmarks.wall_clock [--sizes 1000,5000,15000] [--limits 60] [--workers 2]
[--out DIR]`` generates each district once (the harness's cache, same instances as
``python -m benchmarks run``), then runs the real command line in a fresh process per
size and limit, stderr to a file (not a terminal: the plain log), and measures

- the wall time of the whole process, from launch to exit;
- the interpreter's start-up, measured in the same run (``python -c pass``), which the
  command's clock cannot see;
- the target: ``L · 1.05 + start-up``; ``ok`` when the wall time is within it;
- the plan's status, objective and gap (``summary.json``) and the log: its lines, its
  progress lines and the longest stretch of the log without a progress line.

It prints a Markdown table and writes it, with the raw figures, to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .run import DEFAULT_OUT, PROFILE, benchmark_scenario, instance_dir


def toml_text(spec: dict) -> str:
    """A scenario dict of :func:`benchmarks.run.benchmark_scenario` as TOML."""
    lines = []
    for section, values in spec.items():
        lines.append(f"[{section}]")
        for k, v in values.items():
            if isinstance(v, bool):
                lines.append(f"{k} = {'true' if v else 'false'}")
            elif isinstance(v, str):
                lines.append(f"{k} = {json.dumps(v)}" if k != "as_of" else f"{k} = {v}")
            else:
                lines.append(f"{k} = {v}")
    return "\n".join(lines) + "\n"


def startup_seconds(repeat: int = 3) -> float:
    """The interpreter's start-up: the median wall time of ``python -c pass``."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def lungang_command() -> list[str]:
    """The console script next to this interpreter (what a user runs)."""
    exe = Path(sys.executable).with_name("lungang")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "solver.cli"]


def log_figures(log: str) -> dict:
    """Lines of the plain log: all, progress lines (they carry figures or a bare phase
    tick), and the longest gap between two timestamped lines."""
    stamps = []
    lines = log.splitlines()
    for line in lines:
        if line.startswith("[") and " s]" in line:
            head = line[1 : line.index(" s]")].split("/")[0]
            try:
                stamps.append(float(head))
            except ValueError:
                pass
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    return {"log_lines": len(lines), "max_silence_s": max(gaps) if gaps else 0.0}


def measure(staff: int, limit: float, workers: int, cache: Path, work: Path, logs: Path) -> dict:
    """One run of ``lungang solve`` on the ``staff``-size district with ``limit``; the
    plan goes to ``work`` (temporary), the scenario and the logs to ``logs``."""
    data = instance_dir(cache, PROFILE, staff, 0).resolve()
    sc = logs / f"wall-{staff}-{limit:g}.toml"
    sc.write_text(toml_text(benchmark_scenario(data, limit, workers)), encoding="utf-8")
    out = work / f"plan-{staff}-{limit:g}"
    log = logs / f"wall-{staff}-{limit:g}.log"
    full = logs / f"wall-{staff}-{limit:g}.full.log"
    cmd = [*lungang_command(), "--log-file", str(full), "solve", str(sc), "--out", str(out)]
    cmd.append("--force")
    t = time.perf_counter()
    with log.open("w", encoding="utf-8") as err:
        code = subprocess.run(cmd, stderr=err, stdout=subprocess.DEVNULL).returncode
    wall = time.perf_counter() - t
    row = {"staff": staff, "limit_s": limit, "wall_s": wall, "exit": code}
    summary = out / "summary.json"
    if code == 0 and summary.is_file():
        s = json.loads(summary.read_text(encoding="utf-8"))
        row.update(status=s["status"], objective=s["objective"], gap=s["gap"])
    else:
        row.update(status=f"exit {code}")
    row.update(log_figures(log.read_text(encoding="utf-8")))
    row["full_log_lines"] = len(full.read_text(encoding="utf-8").splitlines())
    return row


def table(rows: list[dict], startup: float) -> str:
    head = (
        "| staff | limit s | wall s | target s | ok | status | objective | gap | "
        "log lines | full log lines | longest silence s |\n"
        "|---:|---:|---:|---:|:--|:--|---:|---:|---:|---:|---:|\n"
    )
    out = []
    for r in rows:
        target = 1.05 * r["limit_s"] + startup
        obj = f"{r['objective']:.4f}" if "objective" in r else ""
        gap = f"{100 * r['gap']:.2f}%" if r.get("gap") is not None else ""
        out.append(
            f"| {r['staff']} | {r['limit_s']:g} | {r['wall_s']:.1f} | {target:.1f} | "
            f"{'yes' if r['wall_s'] <= target else 'NO'} | {r['status']} | {obj} | {gap} | "
            f"{r['log_lines']} | {r['full_log_lines']} | {r['max_silence_s']:.1f} |"
        )
    return head + "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.wall_clock", description=__doc__)
    p.add_argument("--sizes", default="1000,5000,15000")
    p.add_argument("--limits", default="60")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT / "wall_clock")
    p.add_argument("--cache", type=Path, default=DEFAULT_OUT / "cache")
    a = p.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    startup = startup_seconds()
    rows = []
    logs = a.out / "runs"  # scenario, stderr log and full log of each run
    logs.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lungang-wall-") as tmp:
        for staff in (int(x) for x in a.sizes.split(",")):
            for limit in (float(x) for x in a.limits.split(",")):
                rows.append(measure(staff, limit, a.workers, a.cache, Path(tmp), logs))
                print(json.dumps(rows[-1]), flush=True)
    load = os.getloadavg()
    md = (
        f"interpreter start-up (python -c pass, median of 3): {startup:.2f} s; "
        f"load average at the end: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
        f"on {os.cpu_count()} cores; workers {a.workers}\n\n" + table(rows, startup)
    )
    (a.out / "wall_clock.md").write_text(md, encoding="utf-8")
    (a.out / "wall_clock.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
