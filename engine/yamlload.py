"""Load YAML safely and remember where every value came from.

PyYAML's ``safe_load`` gives data but forgets positions, keeps the last of two duplicate keys without a
word, and expands aliases without limit. Authors need errors at a line and column, a duplicate key is
almost always a paste mistake that silently drops a rule, and a policy or case file may come from
anyone. So this module composes the node graph itself and builds plain data from it, recording the
position of each value and key, refusing duplicate keys, unknown tags, deep nesting and alias bombs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .findings import json_path

MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 200_000

_SAFE_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
}

Path_ = tuple[str | int, ...]


class LoadError(Exception):
    """A file that could not be read as data. Carries what a finding needs."""

    def __init__(self, code: str, message: str, line: int = 1, column: int = 1, path: Path_ = (), hint: str = ""):
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line
        self.column = column
        self.path = path
        self.hint = hint


@dataclass(slots=True)
class Document:
    """Data loaded from one file, with the 1-based (line, column) of each value and mapping key."""

    file: str
    data: object
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    text: str = ""

    def position(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """Where the node at ``path`` is; the nearest enclosing node if that path does not exist."""
        table = self.keys if key else self.values
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if not key and probe in self.keys:
                return self.keys[probe]
            probe = probe[:-1]
        return self.values.get((), (1, 1))


def _mark(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    def __init__(self, doc: Document):
        self.doc = doc
        self.count = 0
        self._scalars = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: Path_, depth: int) -> object:
        self.count += 1
        if self.count > MAX_NODES:
            raise LoadError(
                "CPC004",
                f"the document expands to more than {MAX_NODES:,} values (an alias bomb or a file far "
                "larger than any policy or case)",
                *_mark(node),
                path,
            )
        if depth > MAX_DEPTH:
            raise LoadError("CPC004", f"nested more than {MAX_DEPTH} levels deep", *_mark(node), path)
        if node.tag not in _SAFE_TAGS:
            raise LoadError(
                "CPC003",
                f"tag '{node.tag}' is not allowed: only plain YAML data is read",
                *_mark(node),
                path,
                hint="remove the tag; cpc never constructs objects from YAML",
            )
        self.doc.values[path] = _mark(node)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, (*path, i), depth + 1) for i, child in enumerate(node.value)]
        try:
            value = self._scalars.construct_object(node, deep=True)
        except (ValueError, yaml.constructor.ConstructorError) as exc:
            raise LoadError(
                "CPC001",
                f"'{node.value}' is not a valid {node.tag.rsplit(':', 1)[-1]}: {exc}",
                *_mark(node),
                path,
            ) from None
        return value

    def _key(self, node: yaml.ScalarNode, path: Path_) -> object:
        if node.tag not in _SAFE_TAGS:
            raise LoadError("CPC003", f"tag '{node.tag}' is not allowed on a key", *_mark(node), path)
        try:
            return self._scalars.construct_object(node, deep=True)
        except (ValueError, yaml.constructor.ConstructorError) as exc:
            raise LoadError("CPC001", f"key '{node.value}' is not valid: {exc}", *_mark(node), path) from None

    def _mapping(self, node: yaml.MappingNode, path: Path_, depth: int) -> dict:
        out: dict = {}
        first_seen: dict[object, tuple[int, int]] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise LoadError(
                    "CPC003",
                    "merge keys ('<<') are not allowed",
                    *_mark(key_node),
                    path,
                    hint="write the keys out; merges hide where a value comes from",
                )
            if not isinstance(key_node, yaml.ScalarNode):
                raise LoadError("CPC001", "a mapping key must be a plain value", *_mark(key_node), path)
            key = self._key(key_node, path)
            if isinstance(key, dt.date):
                key = key.isoformat()
            if not isinstance(key, str | int | bool) or key is None:
                key = str(key)
            if key in first_seen:
                line, _ = first_seen[key]
                raise LoadError(
                    "CPC002",
                    f"duplicate key '{key}' (first at line {line}): YAML would silently keep only the last",
                    *_mark(key_node),
                    (*path, key),
                    hint="remove or rename one of them",
                )
            first_seen[key] = _mark(key_node)
            self.doc.keys[(*path, key)] = _mark(key_node)
            out[key] = self.build(value_node, (*path, key), depth + 1)
        return out


def _decode(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise LoadError(
            "CPC001",
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x})",
            line,
            column,
            hint="save the file as UTF-8",
        ) from None


def load_text(text: str, file: str = "<string>") -> Document:
    """Load one YAML (or JSON) document from ``text``. Raises :class:`LoadError`."""
    doc = Document(file=file, data=None, text=text)
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise LoadError(
            "CPC001",
            f"not text: character 0x{exc.character:02x} is not allowed in YAML",
            line,
            column,
            hint="is this a binary file?",
        ) from None
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or str(exc)
        if exc.context:
            problem = f"{exc.context}: {problem}" if "found" in problem else f"{problem} ({exc.context})"
        raise LoadError("CPC001", f"not valid YAML: {problem}", line, column) from None
    except yaml.YAMLError as exc:
        raise LoadError("CPC001", f"not valid YAML: {exc}") from None
    except RecursionError:
        raise LoadError("CPC004", f"nested more than {MAX_DEPTH} levels deep") from None
    finally:
        loader.dispose()
    if root is None:
        doc.data = None
        return doc
    doc.data = _Builder(doc).build(root, (), 0)
    return doc


def load_file(path: str | Path, max_bytes: int = MAX_BYTES) -> Document:
    """Read and load ``path``, refusing files over ``max_bytes`` before reading them whole."""
    path = Path(path)
    name = str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise LoadError(
                "CPC004",
                f"file is {size:,} bytes, over the {max_bytes:,}-byte limit",
                hint="a policy or case file is a few kilobytes; check this is the right file",
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise LoadError("CPC001", f"cannot read file: {exc.strerror or exc}") from None
    doc = load_text(_decode(raw), name)
    return doc


def jsonable(data: object) -> object:
    """Dates and times as ISO strings, so data can be checked against a JSON Schema."""
    if isinstance(data, dict):
        return {k: jsonable(v) for k, v in data.items()}
    if isinstance(data, list):
        return [jsonable(v) for v in data]
    if isinstance(data, dt.date):
        return data.isoformat()
    return data


__all__ = ["Document", "LoadError", "json_path", "jsonable", "load_file", "load_text"]
