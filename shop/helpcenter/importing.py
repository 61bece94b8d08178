"""Importing help-center entries from a shop owner's file into the help-center folder the shop serves.

Two file forms: a topic file exactly as in ``shop/helpcenter/*.yaml`` (README.md there; ``id`` may be left
out), or Markdown Q&A: an optional ``# Topic`` heading, then each ``## Question`` heading followed by its
answer. The entries are written into the folder's YAML files, where :class:`~shop.helpcenter.store.FaqStore`
already follows edits: a running shop answers from them on its next question, no restart.

Re-importing updates instead of duplicating: an entry whose id, or else whose question (case and spacing
aside), is already in the folder is updated where it is; other entries join the file of their topic (a new
file when the topic is new). The whole folder is checked with the store's own loader before any file is
replaced, and each file is replaced atomically, so a bad import changes nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from markdown_it import MarkdownIt
from pydantic import Field, ValidationError

from shop.catalog.files import read_document
from shop.catalog.problems import ImportFileError, Problem
from shop.helpcenter.store import HelpCenterError, _EntryFile, _one_line, _TopicFile, load_helpcenter

_ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
_ID_LENGTH = 80


class _ImportedEntry(_EntryFile):
    id: Annotated[str, Field(pattern=_ID_PATTERN, max_length=_ID_LENGTH)] | None = None  # None: from the question


class _ImportedTopic(_TopicFile):
    entries: list[_ImportedEntry] = Field(min_length=1)


@dataclass(frozen=True)
class HelpImportSummary:
    created: int
    updated: int
    unchanged: int
    files: tuple[str, ...]  # the folder's files that were written


def read_help_file(path: Path) -> _ImportedTopic:
    """The entries of a YAML topic file or a Markdown Q&A file (``.md``, ``.markdown``); raises
    :class:`ImportFileError` listing every problem with its line."""
    if path.suffix.lower() in (".md", ".markdown"):
        return _read_markdown(path)
    return read_document(path, _ImportedTopic, "yaml")


def import_help(path: Path, helpcenter_dir: Path) -> HelpImportSummary:
    """Merge ``path``'s entries into ``helpcenter_dir`` (see the module doc); raises :class:`ImportFileError`
    when the file or the resulting help center is invalid, having written nothing."""
    topic = read_help_file(path)
    _refuse_repeats(path.name, topic)
    folder = _Folder(helpcenter_dir)
    created = updated = unchanged = 0
    for entry in topic.entries:
        found = folder.find(entry.id, entry.question)
        if found is None:
            folder.add(topic.topic, entry)
            created += 1
        elif folder.update(*found, entry):
            updated += 1
        else:
            unchanged += 1
    try:
        written = folder.write()
    except HelpCenterError as error:
        raise ImportFileError([Problem(path.name, None, "", f"the help center would not load: {error}")]) from None
    return HelpImportSummary(created, updated, unchanged, written)


def _refuse_repeats(name: str, topic: _ImportedTopic) -> None:
    """Two entries of one file with one id or one question would overwrite each other: say so instead."""
    problems = []
    first_of: dict[tuple[str, str], int] = {}
    for index, entry in enumerate(topic.entries):
        keys = [("id", entry.id)] if entry.id else []
        keys.append(("question", _folded_question(entry.question)))
        for field, key in keys:
            if (field, key) in first_of:
                problems.append(Problem(name, None, f"entries[{index}].{field}",
                                        f"the same {field} as entries[{first_of[field, key]}]"))
            first_of.setdefault((field, key), index)
    if problems:
        raise ImportFileError(problems)


class _Folder:
    """The help-center folder's topic files as data, changed in memory and then written together."""

    def __init__(self, directory: Path) -> None:
        if not directory.is_dir():
            raise ImportFileError([Problem(str(directory), None, "", "help-center folder not found")])
        self.directory = directory
        self.files: dict[str, dict[str, Any]] = {}
        for file in sorted(directory.glob("*.yaml")):
            try:
                data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError as error:
                data = error
            if not isinstance(data, dict) or not isinstance(data.get("entries", []), list):
                raise ImportFileError([Problem(str(file), None, "", "this help-center file is not a topic file "
                                                                    "(fix it first): see shop/helpcenter/README.md")])
            self.files[file.name] = data
        self.changed: set[str] = set()

    def _entries(self) -> list[tuple[str, dict[str, Any]]]:
        return [(name, entry) for name, data in self.files.items() for entry in data.get("entries") or []]

    def find(self, entry_id: str | None, question: str) -> tuple[str, dict[str, Any]] | None:
        entries = self._entries()
        by_id = [(name, entry) for name, entry in entries if entry_id is not None and entry.get("id") == entry_id]
        by_question = [(name, entry) for name, entry in entries
                       if _same_question(str(entry.get("question", "")), question)]
        return (by_id or by_question or [None])[0]

    def update(self, name: str, entry: dict[str, Any], imported: _ImportedEntry) -> bool:
        """Give ``entry`` the imported text (its id stays); whether anything changed."""
        new = {"question": imported.question, "answer": imported.answer}
        if "also_asked" in imported.model_fields_set:  # a Markdown file has none: keep the folder's phrasings
            new["also_asked"] = list(imported.also_asked)
        if all(_same_text(entry.get(key), value) for key, value in new.items()):
            return False
        entry.update(new)
        self.changed.add(name)
        return True

    def add(self, topic: str, imported: _ImportedEntry) -> None:
        name = next((name for name, data in self.files.items()
                     if str(data.get("topic", "")).casefold() == topic.casefold()), None)
        if name is None:
            name = _free_name(_slug(topic) or "imported", self.files)
            self.files[name] = {"topic": topic, "entries": []}
        entry = {"id": imported.id or self._new_id(topic, imported.question), "question": imported.question}
        if imported.also_asked:
            entry["also_asked"] = list(imported.also_asked)
        entry["answer"] = imported.answer
        self.files[name].setdefault("entries", []).append(entry)
        self.changed.add(name)

    def _new_id(self, topic: str, question: str) -> str:
        used = {str(entry.get("id")) for _, entry in self._entries()}
        base = f"{_slug(topic)}-{_slug(question)}".strip("-")[:_ID_LENGTH - 4].strip("-") or "entry"
        candidate, number = base, 2
        while candidate in used:
            candidate, number = f"{base}-{number}", number + 1
        return candidate

    def write(self) -> tuple[str, ...]:
        """Check the folder as it would be with the store's loader, then replace the changed files."""
        texts = {name: _dump(self.files[name]) for name in sorted(self.changed)}
        with tempfile.TemporaryDirectory() as trial:
            for file in self.directory.glob("*.yaml"):
                shutil.copy(file, Path(trial) / file.name)
            for name, text in texts.items():
                (Path(trial) / name).write_text(text, encoding="utf-8")
            load_helpcenter(Path(trial))
        for name, text in texts.items():
            # Written beside, then renamed: the running store never reads a half-written file.
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=f".{name}.", suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text)
            os.replace(temporary, self.directory / name)
        return tuple(texts)


def _read_markdown(path: Path) -> _ImportedTopic:
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError([Problem(name, None, "", f"not UTF-8 text ({error.reason} at byte {error.start})")])
    tokens = MarkdownIt().parse(text)
    topic = ""
    entries: list[dict[str, Any]] = []
    lines: list[int] = []
    heading: str | None = None  # the tag of the heading whose text comes next
    for token in tokens:
        if token.type == "heading_open":
            heading = token.tag
        elif token.type == "inline" and heading is not None:
            words = _inline_text(token)
            if heading == "h1" and not topic and not entries:
                topic = words
            elif heading == "h2":
                entries.append({"question": words, "answer": []})
                lines.append(token.map[0] + 1 if token.map else 0)
            elif entries:
                entries[-1]["answer"].append(words)  # a smaller heading inside an answer is part of it
            heading = None
        elif token.type == "inline" and entries:
            entries[-1]["answer"].append(_inline_text(token))
        elif token.type in ("fence", "code_block") and entries:
            entries[-1]["answer"].append(token.content.strip())
    problems = [Problem(name, None, "", "no `## Question` heading: nothing to import")] if not entries else []
    for entry, line in zip(entries, lines, strict=True):
        entry["answer"] = " ".join(_sentence(part) for part in entry["answer"] if part)
        if not entry["answer"]:
            problems.append(Problem(name, line, "answer", f"the question {entry['question']!r} has no answer text"))
    if problems:
        raise ImportFileError(problems)
    topic = topic or path.stem.replace("-", " ").replace("_", " ").strip().capitalize()
    try:
        return _ImportedTopic.model_validate({"topic": topic, "entries": entries})
    except ValidationError as error:  # each problem on the line of its question's heading
        raise ImportFileError([
            Problem(name, lines[detail["loc"][1]] if len(detail["loc"]) > 1 else None,
                    str(detail["loc"][-1]), detail["msg"]) for detail in error.errors()]) from None


def _inline_text(token: Any) -> str:
    """An inline token's words without Markdown markup (emphasis, links keep their text, code its content)."""
    parts = [child.content if child.type in ("text", "code_inline") else " "
             for child in token.children or () if child.type in ("text", "code_inline", "softbreak", "hardbreak")]
    return " ".join("".join(parts).split())


def _sentence(block: str) -> str:
    """A paragraph or list item ends as a sentence, so the answer read aloud pauses between them."""
    return block if block[-1] in ".!?:;" else f"{block}."


def _folded_question(text: str) -> str:
    return _one_line(text).casefold().rstrip("?.! ")


def _same_question(first: str, second: str) -> bool:
    return _folded_question(first) == _folded_question(second)


def _same_text(stored: Any, new: Any) -> bool:
    if isinstance(new, list):
        return isinstance(stored, list) and [_one_line(str(s)) for s in stored] == [_one_line(n) for n in new]
    return stored is not None and _one_line(str(stored)) == _one_line(str(new))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


def _free_name(stem: str, taken: dict[str, Any]) -> str:
    name, number = f"{stem}.yaml", 2
    while name in taken:
        name, number = f"{stem}-{number}.yaml", number + 1
    return name


class _Dumper(yaml.SafeDumper):
    """Writes like the hand-written files: lists indented under their key, long texts folded (``>``)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    if "\n" not in text.rstrip("\n") and len(text) > 80:
        # One paragraph (a folded text's final newline is not part of what it says): folded, as people write it.
        return dumper.represent_scalar("tag:yaml.org,2002:str", text.rstrip("\n"), style=">")
    return dumper.represent_scalar("tag:yaml.org,2002:str", text)


_Dumper.add_representer(str, _represent_text)


def _dump(data: dict[str, Any]) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
