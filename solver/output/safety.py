"""Outputs never overwrite inputs: where lungang may write, checked before any solve.

Every command that writes checks its output paths here first (exit 2 on a refusal,
before any work is done):

- an output folder (``--out``) is never the data folder, never inside it, never
  contains an input (the scenario, a table, ``--from``'s plan) nor the current folder;
- an output file (``--diagnosis``, ``eligible --out``) is never an input file and never
  lies inside the data folder or an input plan folder;
- the place is writable: the nearest existing parent is a folder, and a temporary
  sibling can be created there (and is removed again) before the solve, not after it;
- ``--force`` replaces only a folder lungang wrote: one holding the marker file
  :data:`MARKER`, or a complete plan folder (``assignments.csv``, ``schools.csv`` and a
  ``summary.json`` with a status and a scenario); never an arbitrary folder.

Temporary siblings (``.<name>.<pid>.<random>.tmp``) of a run that was killed are
removed by the next run that writes next to them (their process is gone).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from ..errors import InputError, Problem

#: The file that marks a folder as written by lungang (``--force`` may replace it).
MARKER = ".lungang"
#: Files of a complete plan folder (plans written before the marker existed carry none).
PLAN_FILES = ("assignments.csv", "schools.csv", "summary.json")
#: Longest file name most file systems take (bytes, UTF-8).
NAME_MAX = 255
#: The part of an output's name used in its temporary siblings' names.
_TMP_NAME = 60


def _resolve(p: str | Path) -> Path:
    return Path(os.path.abspath(Path(p).expanduser())).resolve()


def _inside(child: Path, parent: Path) -> bool:
    return child == parent or child.is_relative_to(parent)


def _refuse(where: str, message: str, value: object = None) -> InputError:
    return InputError(Problem(file=where, message=message, value=value))


def temp_prefix(out: Path) -> str:
    """Prefix of ``out`` 's temporary siblings: name (shortened) and this process's id."""
    return f".{out.name[:_TMP_NAME]}.{os.getpid()}."


_TMP_RE = re.compile(r"^\.(?P<name>.*)\.(?P<pid>\d+)\.[^.]*\.(tmp|old)$")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def stale_temps(parent: Path) -> list[Path]:
    """Temporary siblings in ``parent`` left by lungang runs whose process is gone."""
    try:
        entries = list(Path(parent).iterdir())
    except OSError:
        return []
    out = []
    for p in entries:
        m = _TMP_RE.match(p.name)
        if m and not p.is_symlink() and not _alive(int(m.group("pid"))):
            out.append(p)
    return out


def clean_stale_temps(parent: Path) -> None:
    """Remove the temporary siblings of killed runs in ``parent`` (best effort)."""
    for p in stale_temps(parent):
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)


def _entries(folder: Path) -> list[Path]:
    """A folder's entries, without the stale temporaries of killed runs."""
    stale = set(stale_temps(folder))
    return [p for p in folder.iterdir() if p not in stale]


def is_lungang_folder(folder: Path) -> bool:
    """True when ``folder`` holds the marker, or is a complete plan folder."""
    folder = Path(folder)
    if (folder / MARKER).is_file():
        return True
    if not all((folder / f).is_file() for f in PLAN_FILES):
        return False
    try:
        info = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(info, dict) and "status" in info and "scenario" in info


def write_marker(folder: Path, kind: str) -> None:
    """Mark ``folder`` as written by lungang (``kind``: what it holds)."""
    from .. import __version__

    (Path(folder) / MARKER).write_text(
        json.dumps({"written_by": "lungang", "version": __version__, "kind": kind}) + "\n",
        encoding="utf-8",
    )


def _probe(target: Path, where: str, folder: bool) -> None:
    """Prove that ``target`` (a folder or a file) can be created: create a temporary
    sibling (and any missing parents), then remove all of it again."""
    anchor = target.parent
    missing: list[Path] = []
    while not anchor.exists():
        if anchor.is_symlink():  # a dangling link
            raise _refuse(where, f"{anchor} is a broken link")
        missing.append(anchor)
        anchor = anchor.parent
    if not anchor.is_dir():
        raise _refuse(where, f"cannot write there: {anchor} is a file, not a folder")
    created: list[Path] = []
    try:
        for d in reversed(missing):
            d.mkdir()
            created.append(d)
        if folder:
            tmp = tempfile.mkdtemp(prefix=temp_prefix(target), suffix=".tmp", dir=target.parent)
            os.rmdir(tmp)
        else:
            fd, tmp = tempfile.mkstemp(prefix=temp_prefix(target), suffix=".tmp", dir=target.parent)
            os.close(fd)
            os.unlink(tmp)
    except OSError as exc:
        raise _refuse(
            where, f"cannot write to {target.parent}: {exc.strerror or exc}", str(target)
        ) from None
    finally:
        for d in reversed(created):
            try:
                d.rmdir()
            except OSError:
                pass


def _check_names(path: Path, where: str) -> None:
    for part in Path(path).parts:
        if len(part.encode("utf-8", "surrogateescape")) > NAME_MAX:
            raise _refuse(where, f"a name in the path is longer than {NAME_MAX} bytes", part)


def check_output_dir(
    out: str | Path,
    inputs: Iterable[str | Path | None] = (),
    data: str | Path | None = None,
    force: bool = False,
    option: str = "--out",
) -> None:
    """Refuse (``InputError``, exit 2) an output folder that would touch an input.

    Parameters
    ----------
    out
        The output folder.
    inputs
        Input files and folders: the scenario, ``--from``'s plan, ...
    data
        The district's data (a folder or a workbook): ``out`` must not be it, lie in it
        or contain it.
    force
        ``--force`` was given: an existing non-empty ``out`` may be replaced, if lungang
        wrote it.
    option
        The option's name, for messages.
    """
    where = f"{option} {out}"
    _check_names(Path(out), where)
    try:
        _check_output_dir(_resolve(out), inputs, data, force, where)
    except OSError as exc:  # a path the system refuses to look at
        raise _refuse(where, f"cannot use this path: {exc.strerror or exc}") from None


def _check_output_dir(target: Path, inputs, data, force: bool, where: str) -> None:
    if data is not None:
        d = _resolve(data)
        if target == d:
            raise _refuse(where, "is the district's data: an output never replaces an input")
        if d.is_dir() and _inside(target, d):
            raise _refuse(where, f"lies inside the data folder {data}: choose a folder outside it")
    for item in [*inputs, data]:
        if item is None:
            continue
        p = _resolve(item)
        if _inside(p, target):
            raise _refuse(where, f"contains the input {item}: it would be replaced")
    if _inside(_resolve(Path.cwd()), target):
        raise _refuse(where, "contains the current folder: choose a new folder for the output")
    if target.exists() or target.is_symlink():
        if not target.is_dir():
            raise _refuse(where, "exists and is not a folder")
        if _entries(target):
            if not force:
                raise _refuse(where, "exists and is not empty; use --force to replace it")
            if not is_lungang_folder(target):
                raise _refuse(
                    where,
                    f"exists and was not written by lungang (no {MARKER} marker, not a "
                    "complete plan folder): --force replaces only lungang's own output; "
                    "choose another folder",
                )
        if not os.access(target.parent, os.W_OK | os.X_OK):
            raise _refuse(where, f"cannot write to {target.parent}: permission denied")
    _probe(target, where, folder=True)


def check_output_file(
    path: str | Path,
    inputs: Iterable[str | Path | None] = (),
    data: str | Path | None = None,
    option: str = "--out",
) -> None:
    """Refuse (exit 2) an output file that is an input, lies in the data folder or in
    an input folder, is a folder, or cannot be written."""
    where = f"{option} {path}"
    _check_names(Path(path), where)
    try:
        _check_output_file(_resolve(path), inputs, data, where)
    except OSError as exc:
        raise _refuse(where, f"cannot use this path: {exc.strerror or exc}") from None


def _check_output_file(target: Path, inputs, data, where: str) -> None:
    for item in [*inputs, data]:
        if item is None:
            continue
        p = _resolve(item)
        if target == p:
            raise _refuse(where, f"is the input {item}: an output never replaces an input")
        if p.is_dir() and _inside(target, p):
            raise _refuse(where, f"lies inside the input folder {item}: choose a file outside it")
    if target.is_dir():
        raise _refuse(where, "is a folder: give a file name")
    if target.exists() and not os.access(target, os.W_OK):
        raise _refuse(where, "cannot be written: permission denied")
    _probe(target, where, folder=False)


#: The tables a batch writes at the top of its folder.
BATCH_FILES = ("batch.csv", "batch.md", "batch.xlsx", "batch.html")


def check_batch_dir(
    out: str | Path,
    inputs: Iterable[str | Path | None],
    folders: Iterable[str],
    files: Iterable[str] = BATCH_FILES,
) -> None:
    """Refuse (exit 2) a batch folder whose writes would touch an input.

    A batch writes into ``out`` rather than replacing it (``--resume`` keeps what is
    there), so ``out`` itself may exist and hold other files; what is checked is each
    thing it writes: no district folder ``out/<folder>`` may be, hold or lie inside an
    input (a scenario file, a data folder or workbook), nor hold the current folder, and
    each table (``batch.csv``, ...) is checked as an output file
    (:func:`check_output_file`: never an input, never inside an input folder, writable).

    Parameters
    ----------
    out
        The batch folder (``--out``).
    inputs
        Every scenario file and every district's data of the batch.
    folders
        The district folders' names.
    files
        The tables' names.
    """
    where = f"--out {out}"
    _check_names(Path(out), where)
    target = _resolve(out)
    if target.exists() and not target.is_dir():
        raise _refuse(str(target), "--out names a file, not a folder")
    ins = [(item, _resolve(item)) for item in inputs if item is not None]
    cwd = _resolve(Path.cwd())
    for name in folders:
        folder = target / name
        for _item, p in ins:
            if _inside(p, folder) or _inside(folder, p):
                raise _refuse(
                    str(target), f"the district folder {folder} would overwrite the input {p}"
                )
        if _inside(cwd, folder):
            raise _refuse(str(target), f"the district folder {folder} contains the current folder")
    for name in files:
        check_output_file(target / name, inputs=[i for i, _ in ins], option="--out")
