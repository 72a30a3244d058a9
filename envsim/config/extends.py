"""`extends:` — a profile as a deep merge over another profile.

Mappings merge key by key, everything else (lists included) is replaced by the extending
file. A key set to null (`stub: null`, or `stub:` with no value) in the extending file removes
that key from what it inherits, so a child can swap a base's `stub:` for a `build:`. The merged document keeps, for every value, the mark of the file it came from, so a
problem in an inherited value points into the base file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from envsim.config.discover import existing_profile_names, looks_like_name, profile_candidates
from envsim.config.schema_check import did_you_mean
from envsim.config.yamlload import Mark, TreePath, YamlDoc
from envsim.errors import InputError

# Keys that describe the file itself, not the profile it contributes.
_OWN_KEYS = ("extends", "name")


def load_profile_doc(path: Path, read: Callable[[Path], YamlDoc], first: YamlDoc | None = None) -> YamlDoc:
    """The profile at `path` with its `extends` chain merged in. Raises InputError.

    `read` parses a file (envsim.config.yamlload.load_yaml, or a cache of it: a base that
    many profiles extend need be parsed once); `first` is the already parsed file at `path`,
    when the caller has it.
    """
    return _load_chain(path, read, [], first)


def _load_chain(
    path: Path, read: Callable[[Path], YamlDoc], stack: list[Path], first: YamlDoc | None = None
) -> YamlDoc:
    doc = first if first is not None else read(path)
    parent_ref = doc.data.get("extends")
    if parent_ref is None:
        return doc
    if not isinstance(parent_ref, str) or not parent_ref.strip():
        raise InputError([doc.problem(("extends",), "expected a profile name or a path")])
    parent_path = _resolve_parent(doc, parent_ref)
    chain = [*stack, path.resolve()]
    if parent_path.resolve() in chain:
        names = [p.stem for p in chain[chain.index(parent_path.resolve()) :]] + [parent_path.stem]
        raise InputError([doc.problem(("extends",), "extends cycle: " + " -> ".join(names))])
    parent = _load_chain(parent_path, read, chain)
    return merge_docs(parent, doc)


def _resolve_parent(doc: YamlDoc, ref: str) -> Path:
    directory = doc.path.parent
    if looks_like_name(ref):
        for candidate in profile_candidates(ref, directory):
            if candidate.is_file():
                return candidate
        names = [n for n in existing_profile_names(directory) if n != doc.path.stem]
        raise InputError(
            [
                doc.problem(
                    ("extends",),
                    f"no profile '{ref}' to extend (looked for {ref}.yaml and "
                    f"{ref}.yml beside this file){did_you_mean(ref, names)}",
                )
            ]
        )
    candidate = directory / ref
    if not candidate.is_file():
        raise InputError([doc.problem(("extends",), f"file to extend not found: {ref}")])
    return candidate


def merge_docs(base: YamlDoc, child: YamlDoc) -> YamlDoc:
    """`child` deep-merged over `base`; the result is named after and located in `child`."""
    merged = YamlDoc(child.path, child.display, None, sources={**base.sources, **child.sources})
    base_data = {k: v for k, v in base.data.items() if k not in _OWN_KEYS}
    child_data = {k: v for k, v in child.data.items() if k != "extends"}
    merged.data = _merge(base, base_data, child, child_data, (), merged)
    return merged


def _merge(base: YamlDoc, base_value: Any, child: YamlDoc, child_value: Any, path: TreePath, out: YamlDoc) -> Any:
    _copy_mark(child, path, out)
    result: dict[str, Any] = {}
    for key in [*base_value, *(k for k in child_value if k not in base_value)]:
        here = path + (key,)
        if key in child_value and child_value[key] is None:
            continue  # null removes the inherited key (and is never itself a value)
        if (
            key in base_value
            and key in child_value
            and isinstance(base_value[key], dict)
            and isinstance(child_value[key], dict)
        ):
            _copy_mark(child, here, out, key=True)
            result[key] = _merge(base, base_value[key], child, child_value[key], here, out)
        elif key in child_value:
            result[key] = _copy_subtree(child, child_value[key], here, out)
        else:
            result[key] = _copy_subtree(base, base_value[key], here, out)
    return result


def _copy_mark(source: YamlDoc, path: TreePath, out: YamlDoc, *, key: bool = False) -> None:
    marks: dict[TreePath, Mark] = source.key_marks if key else source.marks
    if path in marks:
        (out.key_marks if key else out.marks)[path] = marks[path]


def _copy_subtree(source: YamlDoc, value: Any, path: TreePath, out: YamlDoc) -> Any:
    _copy_mark(source, path, out, key=True)
    _copy_mark(source, path, out)
    if isinstance(value, dict):
        for key, item in value.items():
            _copy_subtree(source, item, path + (key,), out)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _copy_subtree(source, item, path + (index,), out)
    return value
