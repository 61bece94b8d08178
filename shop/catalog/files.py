"""Reading the documented JSON/YAML file forms (docs/catalog-import.md), and choosing a catalog file's reader.

A file is parsed, then validated against its pydantic model (:class:`~shop.catalog.format.CatalogFile` for a
catalog); every problem is reported with the line it is on, found from the node marks of PyYAML's composer
(JSON is read by :mod:`json`, and its lines found the same way, since a JSON document is YAML too), and
with the field's path (``products[2].variants[0].price``). A key given twice in one object is a problem,
not a silent "last one wins".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from shop.catalog.format import CatalogFile, CustomersFile
from shop.catalog.problems import ImportFileError, Problem, pydantic_message

CatalogFormat = Literal["shopify", "json", "yaml"]
CATALOG_FORMATS: tuple[CatalogFormat, ...] = ("shopify", "json", "yaml")
_BY_SUFFIX: dict[str, CatalogFormat] = {".csv": "shopify", ".json": "json", ".yaml": "yaml", ".yml": "yaml"}

Document = TypeVar("Document", bound=BaseModel)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, when PyYAML was built with it: same marks
_Path = tuple[str | int, ...]


def read_catalog(path: Path, file_format: CatalogFormat | None = None) -> CatalogFile:
    """The catalog in ``path``: Shopify's product CSV, or our JSON/YAML form (``None``: by extension, else by
    the file's start). Raises :class:`ImportFileError` listing every problem."""
    file_format = file_format or sniff_catalog_format(path)
    if file_format == "shopify":
        from shop.catalog.shopify import read_shopify_csv

        return read_shopify_csv(path)
    return read_document(path, CatalogFile, file_format)


def read_customers(path: Path) -> CustomersFile:
    """Customers, addresses and past orders from our JSON/YAML form; raises :class:`ImportFileError`."""
    return read_document(path, CustomersFile)


def sniff_catalog_format(path: Path) -> CatalogFormat:
    """By extension; otherwise ``{`` starts JSON, a first line naming the ``Handle`` column is a Shopify CSV,
    anything else is read as YAML."""
    if path.suffix.lower() in _BY_SUFFIX:
        return _BY_SUFFIX[path.suffix.lower()]
    with path.open(encoding="utf-8-sig", errors="replace") as file:
        start = file.read(4096)
    first_line = start.lstrip().partition("\n")[0]
    if first_line.startswith(("{", "[")):
        return "json"
    if "," in first_line and "handle" in (cell.strip(' "').lower() for cell in first_line.split(",")):
        return "shopify"
    return "yaml"


def read_document(path: Path, model: type[Document], file_format: Literal["json", "yaml"] | None = None) -> Document:
    """``path`` (JSON or YAML; ``None``: ``.json`` is JSON, anything else YAML) validated as ``model``."""
    name = path.name
    file_format = file_format or ("json" if path.suffix.lower() == ".json" else "yaml")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError([Problem(name, None, "", f"not UTF-8 text ({error.reason} at byte {error.start})")])
    problems: list[Problem] = []
    if file_format == "json":
        data = _parse_json(name, text, problems)
        lines = None  # found only when needed: composing a big file as YAML is slow
    else:
        data, lines = _parse_yaml(name, text, problems)
    if problems:
        raise ImportFileError(problems)
    if data is None:
        raise ImportFileError([Problem(name, None, "", "the file is empty")])
    try:
        return model.model_validate(data)
    except ValidationError as error:
        if lines is None:
            lines = _yaml_lines(text, name, [])  # JSON is YAML: the same marks give its lines
        raise ImportFileError(validation_problems(name, error, lines)) from None


def document_lines(path: Path) -> dict[_Path, int]:
    """The 1-based line of every value of a JSON/YAML file, by its path (for problems found after validation)."""
    return _yaml_lines(path.read_text(encoding="utf-8-sig"), path.name, [])


def validation_problems(name: str, error: ValidationError, lines: dict[_Path, int]) -> list[Problem]:
    """Each pydantic error as a problem on the line of the deepest part of its location the file has."""
    problems = []
    for detail in error.errors():
        location = tuple(detail["loc"])
        line = next((lines[location[:n]] for n in range(len(location), -1, -1) if location[:n] in lines), None)
        problems.append(Problem(name, line, field_path(location), pydantic_message(detail["msg"])))
    return problems


def field_path(location: _Path) -> str:
    """``("products", 2, "price")`` as ``products[2].price``."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _parse_json(name: str, text: str, problems: list[Problem]) -> Any:
    repeated: list[str] = []

    def no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in pairs]
        repeated.extend(key for index, key in enumerate(keys) if key in keys[:index])
        return dict(pairs)

    try:
        data = json.loads(text, object_pairs_hook=no_repeated_keys)
    except json.JSONDecodeError as error:
        problems.append(Problem(name, error.lineno, "", f"not valid JSON: {error.msg} (column {error.colno})"))
        return None
    if repeated:
        _yaml_lines(text, name, problems)  # says where each repeated key is, with its path
        if not problems:  # PyYAML could not read this JSON: say which keys, if not where
            problems.extend(Problem(name, None, key, "this key is given twice in one object") for key in repeated)
    return data


def _parse_yaml(name: str, text: str, problems: list[Problem]) -> tuple[Any, dict[_Path, int]]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        lines = _node_lines(node, (), name, problems)
        return loader.construct_document(node), lines
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        problems.append(Problem(name, line, "", f"not valid YAML: {error.problem or error.context}"))
        return None, {}
    except yaml.YAMLError as error:
        problems.append(Problem(name, None, "", f"not valid YAML: {error}"))
        return None, {}
    finally:
        loader.dispose()


def _yaml_lines(text: str, name: str, problems: list[Problem]) -> dict[_Path, int]:
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return {}  # valid JSON that PyYAML cannot read (a tab, say): the field paths still say where
    return _node_lines(node, (), name, problems) if node is not None else {}


def _node_lines(node: yaml.Node, path: _Path, name: str, problems: list[Problem]) -> dict[_Path, int]:
    """The 1-based line of every value in the document, by its path; a repeated key is a problem."""
    lines = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue  # a list or mapping as a key: the model rejects it anyway
            key = key_node.value
            if key in seen:
                problems.append(Problem(name, key_node.start_mark.line + 1, field_path((*path, key)),
                                        "this key is given twice in one mapping"))
            seen.add(key)
            lines.update(_node_lines(value_node, (*path, key), name, problems))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.update(_node_lines(item, (*path, index), name, problems))
    return lines
