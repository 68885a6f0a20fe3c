"""Errors users can act on, and the exit codes (``docs/outputs.md``)."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes of ``lungang`` (``docs/outputs.md``, "Exit codes")."""

    OK = 0
    UNEXPECTED = 1
    BAD_INPUT = 2
    INFEASIBLE = 3
    NO_PLAN = 4


#: What each exit code means, in the words every command's ``--help`` uses.
EXIT_TEXT: dict[int, str] = {
    ExitCode.OK: "done",
    ExitCode.BAD_INPUT: (
        "bad input or usage: each problem is named by file, row and column, or by key; "
        "nothing is written"
    ),
    ExitCode.INFEASIBLE: "the rules cannot all hold: the diagnosis names the rules, schools and subjects",
    ExitCode.NO_PLAN: "no plan was found within the time limit",
    ExitCode.UNEXPECTED: "an unexpected error (a bug: please report it with the message)",
}


def help_epilog(example: str, codes: dict[int, str | None]) -> str:
    """The end of a command's ``--help``: one example invocation and the exit codes.

    Parameters
    ----------
    example
        A command line that works from the project's folder.
    codes
        The command's exit codes; ``None`` takes the common text of :data:`EXIT_TEXT`.
        Exit code 1 (an unexpected error) is always listed.
    """
    lines = ["\b", "Example:", f"  {example}", "", "\b", "Exit codes:"]
    codes = {ExitCode.UNEXPECTED: None, **codes}
    for c in sorted(codes):
        # wrapped by hand: click keeps a \b paragraph as it is
        lines += textwrap.wrap(
            codes[c] or EXIT_TEXT[c],
            width=78,
            initial_indent=f"  {int(c)}  ",
            subsequent_indent="     ",
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class Problem:
    """One problem found in the input, located as a user would look for it.

    ``row`` is the row number as the user sees it in Excel or a text editor
    (the header is row 1, the first data row is row 2).
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    key: str | None = None
    value: object = None
    expected: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        if self.key:
            where += f", key '{self.key}'"
        text = f"{where}: {self.message}"
        if self.value is not None and str(self.value) != "":
            text += f" (got {self.value!r}"
            text += f", expected {self.expected})" if self.expected else ")"
        elif self.expected:
            text += f" (expected {self.expected})"
        return text


class InputError(Exception):
    """Bad input: one or more :class:`Problem` s. Exit code 2."""

    exit_code = ExitCode.BAD_INPUT

    def __init__(self, problems: list[Problem] | Problem | str, file: str = "input"):
        if isinstance(problems, str):
            problems = [Problem(file=file, message=problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class InfeasibleError(Exception):
    """The rules cannot all hold. Exit code 3; ``diagnosis`` names the rules."""

    exit_code = ExitCode.INFEASIBLE

    def __init__(self, message: str, diagnosis: dict | None = None):
        self.diagnosis = diagnosis or {}
        super().__init__(message)


class NoPlanError(Exception):
    """No plan was found within the time limit. Exit code 4."""

    exit_code = ExitCode.NO_PLAN
