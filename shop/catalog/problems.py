"""What is wrong with an import file, said so its owner can find and fix every problem in one pass.

Readers collect all problems of a file before they give up (not only the first), and give up before anything
is loaded: a file with problems imports nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem: in which file, where in it (a spreadsheet row or a line number, or empty when the file
    as a whole is wrong), which field, and what is wrong."""

    file: str
    where: int | None  # the row as a spreadsheet shows it (header = 1), or the 1-based line
    field: str
    message: str

    def __str__(self) -> str:
        place = f"{self.file}:{self.where}" if self.where is not None else self.file
        return f"{place}: {self.field}: {self.message}" if self.field else f"{place}: {self.message}"


class ImportFileError(ValueError):
    """A file that cannot be imported; :attr:`problems` lists everything wrong with it, in file order."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.where or 0))
        if not self.problems:
            raise ValueError("ImportFileError needs at least one problem")
        super().__init__("\n".join(str(problem) for problem in self.problems))


def pydantic_message(message: str) -> str:
    """A pydantic error message without the prefix that only says a validator raised it."""
    return message.removeprefix("Value error, ")
