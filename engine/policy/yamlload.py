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

from engine.core.findings import json_path

MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 200_000
# No policy or case number needs more than a few digits. PyYAML builds a sexagesimal number (``1:0:0:…``) in
# time quadratic in its length, so a 5 MB one takes minutes; and Python refuses to print an integer of more
# than 4,300 digits, which a long hexadecimal literal is, so any message quoting it would crash.
MAX_NUMBER_CHARS = 100
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")

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

# libyaml's parser is ten times faster than PyYAML's and gives nodes the same marks; only composition
# uses it, and values are still built by the safe constructor below.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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

    def __repr__(self) -> str:
        # The text and the position tables are as large as the file; a repr names it.
        return f"<Document {self.file}: {len(self.text):,} characters>"

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


def _mark(event: yaml.Event) -> tuple[int, int]:
    return (event.start_mark.line + 1, event.start_mark.column + 1)


_MAP, _SEQ = "map", "seq"


class _Frame:
    """A mapping or sequence being built: its container, path, and for a mapping the pending key."""

    __slots__ = ("anchor", "container", "first_seen", "kind", "path", "pending_key", "size")

    def __init__(self, kind: str, container: dict | list, path: Path_, anchor: str | None):
        self.kind = kind
        self.container = container
        self.path = path
        self.anchor = anchor
        self.pending_key: object = _NO_KEY
        self.first_seen: dict[object, tuple[int, int]] = {}
        self.size = 1


_NO_KEY = object()

_CONSTRUCTORS = {tag: yaml.SafeLoader.yaml_constructors[tag] for tag in _SAFE_TAGS}


def _as_text(constructor: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    # The resolver's other two implicit tags, for a plain '=' (YAML 1.1's "value" key) and '<<' (the merge
    # key, refused where it is a key): PyYAML has no constructor for either, yet as a value each is just text.
    return node.value


class _Builder:
    """Build plain data from the parser's events with an explicit stack.

    Composing node trees recursively (as PyYAML and its C binding do) overflows the stack on deeply
    nested input: the C binding crashes the whole process. Events arrive flat, so depth, alias
    expansion and duplicate keys are all checked here before anything is built too large.
    """

    def __init__(self, doc: Document, loader: yaml.SafeLoader, redact: bool = False):
        self.doc = doc
        self.loader = loader
        self.redact = redact
        self.count = 0
        self.anchors: dict[str, tuple[object, int]] = {}
        self._constructor = yaml.SafeLoader("")

    def run(self) -> object:
        loader = self.loader
        loader.get_event()  # StreamStart
        if loader.check_event(yaml.StreamEndEvent):
            return None
        loader.get_event()  # DocumentStart
        stack: list[_Frame] = []
        root: object = None
        while True:
            event = loader.get_event()
            if isinstance(event, yaml.DocumentEndEvent):
                break
            if isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                frame = stack.pop()
                if frame.anchor is not None:
                    self.anchors[frame.anchor] = (frame.container, frame.size)
                if stack:
                    stack[-1].size += frame.size
                continue
            parent = stack[-1] if stack else None
            if parent is not None and parent.kind == _MAP and parent.pending_key is _NO_KEY:
                self._take_key(parent, event)
                continue
            path = self._child_path(parent)
            value, size = self._value(event, path, len(stack))
            if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                stack.append(_Frame(_MAP if isinstance(value, dict) else _SEQ, value, path, event.anchor))
            elif parent is not None:
                parent.size += size
            if parent is None:
                root = value
            elif parent.kind == _MAP:
                parent.container[parent.pending_key] = value
                parent.pending_key = _NO_KEY
            else:
                parent.container.append(value)
        if not loader.check_event(yaml.StreamEndEvent):
            event = loader.get_event()
            raise LoadError("CPC001", "not valid YAML: a file holds one document, found another", *_mark(event))
        return root

    def _child_path(self, parent: _Frame | None) -> Path_:
        if parent is None:
            return ()
        if parent.kind == _MAP:
            return (*parent.path, parent.pending_key)
        return (*parent.path, len(parent.container))

    def _count(self, n: int, event: yaml.Event, path: Path_) -> None:
        self.count += n
        if self.count > MAX_NODES:
            raise LoadError(
                "CPC004",
                f"the document expands to more than {MAX_NODES:,} values (an alias bomb or a file far "
                "larger than any policy or case)",
                *_mark(event),
                path,
            )

    def _check_tag(self, event: yaml.Event, path: Path_) -> None:
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!" and tag not in _SAFE_TAGS:
            # A tag is text of the file too; a redacted message does not repeat it.
            what = "this tag" if self.redact else f"tag '{_clip(tag)}'"
            raise LoadError(
                "CPC003",
                f"{what} is not allowed: only plain YAML data is read",
                *_mark(event),
                path,
                hint="remove the tag; cpc never constructs objects from YAML",
            )

    def _value(self, event: yaml.Event, path: Path_, depth: int) -> tuple[object, int]:
        if depth >= MAX_DEPTH:
            raise LoadError("CPC004", f"nested more than {MAX_DEPTH} levels deep", *_mark(event), path)
        self._check_tag(event, path)
        self.doc.values[path] = _mark(event)
        if isinstance(event, yaml.AliasEvent):
            if event.anchor not in self.anchors:
                name = "an alias" if self.redact else f"alias '*{event.anchor}'"
                raise LoadError("CPC001", f"{name} names no finished anchor", *_mark(event), path)
            value, size = self.anchors[event.anchor]
            self._count(size, event, path)
            return value, size
        self._count(1, event, path)
        if isinstance(event, yaml.MappingStartEvent):
            return {}, 1
        if isinstance(event, yaml.SequenceStartEvent):
            return [], 1
        value = self._scalar(event, path, "value")
        if event.anchor is not None:
            self.anchors[event.anchor] = (value, 1)
        return value, 1

    def _scalar(self, event: yaml.ScalarEvent, path: Path_, what: str) -> object:
        tag = event.tag
        explicit = tag is not None and tag != "!"
        if not explicit:
            tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        kind = tag.rsplit(":", 1)[-1]
        label = "key " if what == "key" else ""
        if tag in _NUMBER_TAGS and len(event.value) > MAX_NUMBER_CHARS:
            raise LoadError(
                "CPC001",
                f"{label}{kind} written with more than {MAX_NUMBER_CHARS} characters",
                *_mark(event),
                path,
                hint="quote it if it is text",
            )
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        # The tag's own constructor, not construct_object: that one keeps every node it has built in a table
        # for the life of the loader, which holds 200,000 nodes alive and triples the time to build them.
        construct = _CONSTRUCTORS.get(tag, _as_text)
        try:
            return construct(self._constructor, node)
        # PyYAML's constructors assume the text matched the tag's pattern, which only implicit tags ensure:
        # under an explicit tag, malformed text raises KeyError (!!bool), IndexError (!!int "") or
        # AttributeError (!!timestamp) instead of a ConstructorError.
        except (
            ValueError,
            OverflowError,
            KeyError,
            IndexError,
            AttributeError,
            TypeError,
            yaml.constructor.ConstructorError,
        ) as exc:
            if explicit:
                # The text may be anything (free text under an explicit tag), so it is not repeated.
                message = f"{label}value tagged '{kind}' is not a valid {kind}"
            elif self.redact:
                # A case's date is a child's date of birth or a meeting's: the place and the reason are enough.
                # The constructor's reason is not used: it may quote the value too ("year 0 is out of range").
                if kind == "timestamp":
                    message = f"{label}not a valid date: its day, month or year is out of range"
                else:
                    message = f"{label}value is not a valid {kind}"
            elif kind == "timestamp":
                # The reason ("day is out of range for month") and the place let the author fix it; the value is
                # not repeated, since `cpc lint` may be pointed at a case file, whose dates are a child's.
                message = f"{label}not a valid date: {exc}"
            else:
                message = f"{label}'{_clip(event.value)}' is not a valid {kind}: {exc}"
            raise LoadError("CPC001", message, *_mark(event), path) from None

    def _take_key(self, frame: _Frame, event: yaml.Event) -> None:
        path = frame.path
        # An unsafe tag is named as such whatever it tags: `? !!python/object/apply:os.system [...]` is an
        # attack before it is a key that is not a plain value.
        self._check_tag(event, path)
        if not isinstance(event, yaml.ScalarEvent):
            if isinstance(event, yaml.AliasEvent) and event.anchor in self.anchors:
                raise LoadError("CPC003", "merge keys and aliases as keys are not allowed", *_mark(event), path)
            raise LoadError("CPC001", "a mapping key must be a plain value", *_mark(event), path)
        if event.tag is None and self.loader.resolve(yaml.ScalarNode, event.value, event.implicit).endswith(":merge"):
            raise LoadError(
                "CPC003",
                "merge keys ('<<') are not allowed",
                *_mark(event),
                path,
                hint="write the keys out; merges hide where a value comes from",
            )
        key = self._scalar(event, path, "key")
        if isinstance(key, dt.date):
            key = key.isoformat()
        if key is None or not isinstance(key, str | int | bool):
            key = str(key)
        if key in frame.first_seen:
            line, _ = frame.first_seen[key]
            name = "duplicate key" if self.redact else f"duplicate key '{_clip(str(key))}'"
            raise LoadError(
                "CPC002",
                f"{name} (first at line {line}): YAML would silently keep only the last",
                *_mark(event),
                (*path, key),
                hint="remove or rename one of them",
            )
        frame.first_seen[key] = _mark(event)
        self.doc.keys[(*path, key)] = _mark(event)
        frame.pending_key = key


def _clip(text: str, limit: int = 80) -> str:
    """``text`` cut to a length a one-line message can hold."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


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


class _ParserDepthLimit(Exception):
    """libyaml refused the document for nesting deeper than its own limit."""


def load_text(text: str, file: str = "<string>", *, redact: bool = False) -> Document:
    """Load one YAML (or JSON) document from ``text``. Raises :class:`LoadError`.

    With ``redact``, no message repeats text of the document (a key, a tag, a value), because a case's text
    may be confidential; the position and path still say where the problem is.
    """
    try:
        return _load(text, file, redact, _Loader)
    except _ParserDepthLimit:
        # libyaml 0.2.6 (in PyYAML 6.0.4's wheels) refuses nesting past its own limit of 1,000, and its scanner
        # reads up to 1,024 characters ahead of the last event, so on `[[[[…` it can refuse before cpc's check
        # of MAX_DEPTH sees the 65th level; a libyaml built with a lower limit would refuse valid files. The
        # pure-Python parser has no limit and marks nodes the same way, so the depth is cpc's to judge, with
        # the same finding at the same place whatever PyYAML is installed.
        return _load(text, file, redact, yaml.SafeLoader)


def _is_depth_limit(exc: yaml.MarkedYAMLError) -> bool:
    return "nesting depth" in f"{exc.problem} {exc.context}"


def _load(text: str, file: str, redact: bool, loader_class: type) -> Document:
    doc = Document(file=file, data=None, text=text)
    try:
        loader = loader_class(text)
    except yaml.reader.ReaderError as exc:
        raise _reader_error(exc, text) from None
    except UnicodeEncodeError as exc:
        # Only text given as a str can get here (files are decoded strictly): a lone surrogate, which
        # libyaml cannot take because it reads UTF-8.
        line = text.count("\n", 0, exc.start) + 1
        column = exc.start - (text.rfind("\n", 0, exc.start) + 1) + 1
        raise LoadError("CPC001", "not text: a lone surrogate is not a character", line, column) from None
    try:
        doc.data = _Builder(doc, loader, redact).run()
    except yaml.reader.ReaderError as exc:
        raise _reader_error(exc, text) from None
    except yaml.MarkedYAMLError as exc:
        if loader_class is not yaml.SafeLoader and _is_depth_limit(exc):
            raise _ParserDepthLimit from None
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or str(exc)
        if exc.context:
            problem = f"{exc.context}: {problem}" if "found" in problem else f"{problem} ({exc.context})"
        raise LoadError("CPC001", f"not valid YAML: {problem}", line, column) from None
    except yaml.YAMLError as exc:
        raise LoadError("CPC001", f"not valid YAML: {exc}") from None
    finally:
        loader.dispose()
    return doc


def _reader_error(exc: yaml.reader.ReaderError, text: str) -> LoadError:
    line = text.count("\n", 0, exc.position) + 1
    column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
    return LoadError(
        "CPC001",
        f"not text: character 0x{exc.character:02x} is not allowed in YAML",
        line,
        column,
        hint="is this a binary file?",
    )


def load_file(path: str | Path, max_bytes: int = MAX_BYTES, *, redact: bool = False) -> Document:
    """Read and load ``path``, refusing files over ``max_bytes`` before reading them whole (see :func:`load_text`)."""
    path = Path(path)
    name = str(path)
    hint = "a policy or case file is a few kilobytes; check this is the right file"
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise LoadError("CPC004", f"file is {size:,} bytes, over the {max_bytes:,}-byte limit", hint=hint)
        # The size can lie: /dev/zero and pipes report 0, and a file can grow after stat. Reading one byte
        # past the limit is what bounds memory.
        with path.open("rb") as stream:
            raw = stream.read(max_bytes + 1)
    except OSError as exc:
        raise LoadError("CPC001", f"cannot read file: {exc.strerror or exc}") from None
    if len(raw) > max_bytes:
        raise LoadError("CPC004", f"file is more than the {max_bytes:,}-byte limit", hint=hint)
    return load_text(_decode(raw), name, redact=redact)


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
