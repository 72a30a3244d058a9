"""Reading one YAML file into plain values plus the line/column of every node.

PyYAML's composer gives nodes with marks; we build the plain tree ourselves instead of
using its constructor so that duplicate keys, odd keys, custom tags and alias bombs become
located Problems rather than silent surprises or exceptions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

from envsim.errors import InputError, Problem

MAX_FILE_BYTES = 5 * 1024 * 1024
# An alias re-uses a node; expanding "billion laughs" style documents is what blows up, so
# the budget counts nodes as they are expanded into the tree, aliases included.
MAX_NODES = 100_000
MAX_DEPTH = 64

# A path into the tree: mapping keys (str) and list indices (int).
TreePath = tuple[Any, ...]

_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_NULL = "tag:yaml.org,2002:null"
_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


@dataclass(frozen=True)
class Mark:
    file: str  # as shown to the user
    line: int  # 1-based
    col: int  # 1-based


@dataclass
class YamlDoc:
    """One file's content: `data` is plain dict/list/str/int/float/bool/None.

    `marks` locates the value at each path, `key_marks` the key that introduced it. Both
    may hold marks from several files once `extends` has merged documents.
    """

    path: Path
    display: str
    data: Any
    marks: dict[TreePath, Mark] = field(default_factory=dict)
    key_marks: dict[TreePath, Mark] = field(default_factory=dict)
    # displayed file name -> the file, for every file whose marks are in this document
    sources: dict[str, Path] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.sources.setdefault(self.display, self.path)

    def source_of(self, path: TreePath) -> Path:
        """The file the value at `path` was written in (relative paths resolve against it)."""
        return self.sources.get(self.mark(path).file, self.path)

    def mark(self, path: TreePath, *, key: bool = False) -> Mark:
        """The best-known location of `path`: its own mark, else its nearest ancestor's."""
        if key and path in self.key_marks:
            return self.key_marks[path]
        probe = tuple(path)
        while probe:
            if probe in self.marks:
                return self.marks[probe]
            probe = probe[:-1]
        return self.marks.get((), Mark(self.display, 1, 1))

    def problem(self, path: TreePath, message: str, *, key: bool = False) -> Problem:
        mark = self.mark(path, key=key)
        return Problem(mark.file, mark.line, mark.col, format_path(path), message)


def format_path(path: TreePath) -> str:
    """`services.db.ports.pg`, with list positions as `checks[2]`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def file_problem(display: str, message: str, line: int = 1, col: int = 1) -> Problem:
    return Problem(display, line, col, "", message)


def read_text(path: Path, display: str) -> str:
    """The file's text, or InputError for anything that is not a readable UTF-8 text file."""
    try:
        if path.is_dir():
            raise InputError([file_problem(display, "is a directory, not a YAML file")])
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            limit = MAX_FILE_BYTES // (1024 * 1024)
            raise InputError([file_problem(display, f"file is too large ({size} bytes; the limit is {limit} MiB)")])
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError([file_problem(display, "file not found")]) from None
    except PermissionError:
        raise InputError([file_problem(display, "file is not readable (permission denied)")]) from None
    except OSError as error:
        raise InputError([file_problem(display, f"cannot read file: {error.strerror or error}")]) from None
    if b"\x00" in raw:
        raise InputError([file_problem(display, "binary content (NUL bytes): not a YAML text file")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        col = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise InputError([file_problem(display, "not valid UTF-8 text", line, col)]) from None
    return text


def load_yaml(path: Path, display: str | None = None) -> YamlDoc:
    """Parse one file whose top level must be a mapping. Raises InputError with located problems."""
    display = display if display is not None else str(path)
    text = read_text(path, display)
    return parse_yaml(text, path, display)


_DEEP_INDENT = re.compile(r"\n[ \t]{200,}")


def _composer_for(text: str) -> type:
    """libyaml's composer when the text cannot nest deeply; it recurses in C, where Python's
    recursion limit does not protect it, so deep or bracket-heavy text takes the Python one."""
    fast: type | None = getattr(yaml, "CSafeLoader", None)
    if fast is None or text.count("[") + text.count("{") > 256 or _DEEP_INDENT.search(text):
        return yaml.SafeLoader
    return fast


def parse_yaml(text: str, path: Path, display: str) -> YamlDoc:
    try:
        try:
            node = yaml.compose(text, Loader=_composer_for(text))
        except yaml.YAMLError:
            # Report what the pure-Python parser says, so messages do not depend on libyaml.
            node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = error.problem or error.context or "invalid YAML"
        if error.context and error.problem and not error.context.startswith("while"):
            reason = f"{error.context}, {error.problem}"
        raise InputError([file_problem(display, f"YAML syntax error: {reason}", line, col)]) from None
    except yaml.YAMLError as error:
        raise InputError([file_problem(display, f"YAML error: {error}")]) from None
    except RecursionError:
        raise InputError([file_problem(display, "YAML nesting is too deep")]) from None
    if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == _NULL):
        raise InputError([file_problem(display, "file is empty: expected a mapping such as 'envsim: 1'")])
    builder = _TreeBuilder(display)
    data = builder.build(node, (), 0, frozenset())
    if builder.problems:
        raise InputError(builder.problems)
    doc = YamlDoc(path, display, data, builder.marks, builder.key_marks)
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        raise InputError(
            [doc.problem((), f"the top level must be a mapping of keys (such as 'envsim: 1'), got {kind}")]
        )
    return doc


class _TreeBuilder:
    def __init__(self, display: str):
        self.display = display
        self.marks: dict[TreePath, Mark] = {}
        self.key_marks: dict[TreePath, Mark] = {}
        self.problems: list[Problem] = []
        self.nodes = 0
        self._scalars = yaml.SafeLoader("")  # only its scalar resolution is used

    def _mark(self, node: yaml.Node) -> Mark:
        return Mark(self.display, node.start_mark.line + 1, node.start_mark.column + 1)

    def _fail(self, node: yaml.Node, path: TreePath, message: str) -> None:
        mark = self._mark(node)
        self.problems.append(Problem(mark.file, mark.line, mark.col, format_path(path), message))

    def build(self, node: yaml.Node, path: TreePath, depth: int, active: frozenset[int]) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            if self.nodes == MAX_NODES + 1:
                self._fail(node, path, f"document expands to more than {MAX_NODES} values (alias bomb?)")
            return None
        if depth > MAX_DEPTH:
            self._fail(node, path, f"nested more than {MAX_DEPTH} levels deep")
            return None
        if id(node) in active:
            self._fail(node, path, "an alias refers to a value that contains it (recursive alias)")
            return None
        self.marks[path] = self._mark(node)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        inner = active | {id(node)}
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                self._fail(node, path, f"unsupported tag {node.tag!r}")
            return [self.build(item, path + (i,), depth + 1, inner) for i, item in enumerate(node.value)]
        if node.tag != _MAP:
            self._fail(node, path, f"unsupported tag {node.tag!r}")
        # the composer makes only scalar, sequence and mapping nodes
        return self._mapping(cast(yaml.MappingNode, node), path, depth, inner)

    def _scalar(self, node: yaml.ScalarNode, path: TreePath) -> Any:
        if node.tag in (_STR, _TIMESTAMP):
            # Dates stay text: every value envsim takes is a string, number or bool.
            return node.value
        if node.tag in (_BOOL, _INT, _FLOAT, _NULL):
            return self._scalars.construct_object(node)
        self._fail(node, path, f"unsupported tag {node.tag!r}")
        return None

    def _key(self, node: yaml.Node, path: TreePath) -> str | None:
        if not isinstance(node, yaml.ScalarNode):
            self._fail(node, path, "keys must be plain text, not a list or mapping")
            return None
        if node.tag not in (_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP):
            self._fail(node, path, f"unsupported tag {node.tag!r} on a key")
            return None
        # Keys are taken as written: `503:` is "503" and `on:` is "on", never True.
        if node.value == "" and node.style is None:
            self._fail(node, path, "empty key")
            return None
        key: str = node.value
        return key

    def _mapping(self, node: yaml.MappingNode, path: TreePath, depth: int, active: frozenset[int]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged_from: set[str] = set()
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                self._merge_into(result, merged_from, value_node, path, depth, active)
                continue
            key = self._key(key_node, path)
            if key is None:
                continue
            child = path + (key,)
            if key in result and key not in merged_from:
                first = self.key_marks[child]
                self._fail(key_node, child, f"duplicate key '{key}' (first defined at line {first.line})")
                continue
            merged_from.discard(key)
            self.key_marks[child] = self._mark(key_node)
            result[key] = self.build(value_node, child, depth + 1, active)
        return result

    def _merge_into(
        self,
        result: dict[str, Any],
        merged_from: set[str],
        value: yaml.Node,
        path: TreePath,
        depth: int,
        active: frozenset[int],
    ) -> None:
        """YAML merge keys (`<<: *base`): keys given explicitly win over merged ones."""
        sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                self._fail(source, path, "'<<' merges mappings only")
                continue
            # Build the merged mapping with scratch marks, then keep the marks of the keys
            # it actually contributes, so explicit keys keep their own locations.
            saved = self.marks, self.key_marks
            self.marks, self.key_marks = {}, {}
            merged = self.build(source, path, depth, active)
            scratch, scratch_keys = self.marks, self.key_marks
            self.marks, self.key_marks = saved
            if not isinstance(merged, dict):
                continue
            for key, item in merged.items():
                if key in result:
                    continue
                result[key] = item
                merged_from.add(key)
                prefix = path + (key,)
                for where, mark in scratch.items():
                    if where[: len(prefix)] == prefix:
                        self.marks[where] = mark
                for where, mark in scratch_keys.items():
                    if where[: len(prefix)] == prefix:
                        self.key_marks[where] = mark
