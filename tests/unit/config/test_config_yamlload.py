"""The YAML loader: plain values, marks for every node, and located problems for bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from envsim.config.yamlload import MAX_FILE_BYTES, Mark, load_yaml, parse_yaml
from envsim.errors import InputError


def problems(text: str) -> list[str]:
    with pytest.raises(InputError) as caught:
        parse_yaml(text, Path("f.yaml"), "f.yaml")
    return [str(p) for p in caught.value.problems]


def test_values_and_marks_of_every_node():
    doc = parse_yaml("a: 1\nb:\n  c: [x, 2.5]\n  503: on\n", Path("f.yaml"), "f.yaml")
    assert doc.data == {"a": 1, "b": {"c": ["x", 2.5], "503": True}}
    assert doc.marks[("b", "c", 1)] == Mark("f.yaml", 3, 10)
    assert doc.key_marks[("b", "503")] == Mark("f.yaml", 4, 3)
    assert doc.mark(("b", "c", 7)) == Mark("f.yaml", 3, 6)  # unknown paths fall back to the nearest ancestor


def test_keys_are_taken_as_written():
    doc = parse_yaml("on: 1\n404: x\nnull: y\n", Path("f"), "f")
    assert list(doc.data) == ["on", "404", "null"]


def test_dates_stay_text():
    assert parse_yaml("d: 2024-01-01\n", Path("f"), "f").data == {"d": "2024-01-01"}


def test_duplicate_key_is_an_error():
    assert problems("a: 1\nb: 2\na: 3\n") == ["f.yaml:3:1: a: duplicate key 'a' (first defined at line 1)"]


def test_top_level_list():
    assert problems("- a\n- b\n") == [
        "f.yaml:1:1: (top): the top level must be a mapping of keys (such as 'envsim: 1'), got a list"
    ]


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n"])
def test_empty_file(text):
    messages = problems(text)
    assert len(messages) == 1 and "file is empty" in messages[0]


def test_syntax_error_has_line_and_column():
    assert problems("a: 1\nb: [1, 2\nc: 3\n") == [
        "f.yaml:3:2: (top): YAML syntax error: expected ',' or ']', but got ':'"
    ]


def test_several_documents():
    assert problems("a: 1\n---\nb: 2\n") == [
        "f.yaml:2:1: (top): YAML syntax error: expected a single document in the stream, but found another document"
    ]


def test_alias_bomb_is_stopped_quickly():
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev, name = chr(96 + i), chr(97 + i)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    messages = problems("\n".join(lines) + "\n")
    assert len(messages) == 1 and "alias bomb" in messages[0]


def test_recursive_alias():
    assert problems("a: &a [1, *a]\n") == [
        "f.yaml:1:4: a[1]: an alias refers to a value that contains it (recursive alias)"
    ]


def test_deep_nesting():
    messages = problems("x: " + "[" * 3000 + "]" * 3000 + "\n")
    assert len(messages) == 1 and "too deep" in messages[0]


def test_complex_key():
    assert problems("? [1, 2]\n: 3\n") == ["f.yaml:1:3: (top): keys must be plain text, not a list or mapping"]


def test_custom_tag():
    assert problems("a: !python/object x\n") == ["f.yaml:1:4: a: unsupported tag '!python/object'"]


def test_merge_keys_keep_explicit_values_and_their_marks():
    doc = parse_yaml("base: &b {x: 1, y: 2}\nc:\n  x: 5\n  <<: *b\n", Path("f"), "f")
    assert doc.data["c"] == {"x": 5, "y": 2}
    assert doc.marks[("c", "x")].line == 3
    assert doc.marks[("c", "y")].line == 1


def test_missing_file(tmp_path):
    with pytest.raises(InputError) as caught:
        load_yaml(tmp_path / "nope.yaml", "nope.yaml")
    assert [str(p) for p in caught.value.problems] == ["nope.yaml:1:1: (top): file not found"]


def test_directory(tmp_path):
    with pytest.raises(InputError) as caught:
        load_yaml(tmp_path, "dir")
    assert "is a directory" in str(caught.value)


def test_binary_file(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_bytes(b"envsim: 1\n\x00\x01\x02")
    with pytest.raises(InputError) as caught:
        load_yaml(path, "x.yaml")
    assert "binary content" in str(caught.value)


def test_non_utf8_file_points_at_the_bad_byte(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_bytes(b"envsim: 1\nname: caf\xe9\n")
    with pytest.raises(InputError) as caught:
        load_yaml(path, "x.yaml")
    assert [str(p) for p in caught.value.problems] == ["x.yaml:2:10: (top): not valid UTF-8 text"]


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_bytes("\ufeffenvsim: 1\n".encode("utf-8"))
    assert load_yaml(path, "x.yaml").data == {"envsim": 1}


def test_too_large_file(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_bytes(b"a: 1\n" + b"#" * MAX_FILE_BYTES)
    with pytest.raises(InputError) as caught:
        load_yaml(path, "x.yaml")
    assert "too large" in str(caught.value)


def test_unreadable_file(tmp_path):
    import os

    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    path = tmp_path / "x.yaml"
    path.write_text("envsim: 1\n")
    path.chmod(0)
    with pytest.raises(InputError) as caught:
        load_yaml(path, "x.yaml")
    assert "not readable" in str(caught.value)
