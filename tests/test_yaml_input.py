"""The one reader of user YAML (pulumi_meshgw.spec.yaml_input): each class of input that is not
plain data is refused with the file and line, and plain data reads as Pulumi and Kubernetes read it."""

from __future__ import annotations

import time

import pytest
import yaml

from pulumi_meshgw.spec import yaml_input
from pulumi_meshgw.spec.yaml_input import MAX_ALIAS_NODES, MAX_DEPTH, YamlInputError, load_documents, load_one

BOMB = "\n".join(
    ['a0: &a0 ["lol"]']
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    + ["spec: {hosts: *a8}"]
)


def refused(data: bytes | str, **kwargs: bool) -> YamlInputError:
    with pytest.raises(YamlInputError) as caught:
        load_one(data, "stack.yaml", **kwargs)
    return caught.value


def test_the_c_parser_is_used_when_pyyaml_has_it() -> None:
    loader = yaml_input._LOADERS[False]
    assert issubclass(loader, getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def test_plain_data_reads_as_written() -> None:
    value, node = load_one("a: 1\nb: [x, 2.5, true, null]\nc: {d: e}\n", "f.yaml")
    assert value == {"a": 1, "b": ["x", 2.5, True, None], "c": {"d": "e"}} and node is not None


def test_dates_stay_strings_and_yaml12_keeps_yes_and_sexagesimal_as_strings() -> None:
    assert load_one("d: 2024-01-01\n", "f.yaml")[0] == {"d": "2024-01-01"}
    assert load_one("a: yes\nb: 1:30\nc: true\nd: 0x1F\n", "f.yaml", yaml12=True)[0] == {
        "a": "yes",
        "b": "1:30",
        "c": True,
        "d": 31,
    }


def test_an_empty_text_is_none() -> None:
    assert load_one("", "f.yaml") == (None, None)
    assert load_one(b"# only a comment\n", "f.yaml") == (None, None)


def test_a_byte_that_is_not_utf8_is_refused_with_its_line_and_column() -> None:
    err = refused(b"config:\n  a: b\n  \x97x: 1\n")
    assert (err.line, err.column) == (3, 3)
    assert str(err) == "stack.yaml:3:3: byte 0x97 is not UTF-8; save the file as UTF-8 text"


def test_a_nul_byte_is_refused() -> None:
    err = refused(b"a: b\nc: d\x00\n")
    assert str(err) == "stack.yaml:2:5: a NUL byte: this is not a text file"


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("x: !!binary aGVsbG8=\n", "!!binary"),
        ("x: !!set {a, b}\n", "!!set"),
        ("x: !!timestamp 2024-01-01\n", "!!timestamp"),
        ("x: !!omap [{a: 1}]\n", "!!omap"),
        ("x: !!python/object/apply:os.system [ls]\n", "!!python/object/apply:os.system"),
        ("x: !local thing\n", "!local"),
    ],
)
def test_a_tag_that_is_not_plain_data_is_refused_with_file_and_line(text: str, tag: str) -> None:
    err = refused("ok: 1\n" + text)
    assert err.line == 2
    assert f"the tag {tag} is not plain data" in str(err)


def test_explicit_plain_tags_are_data() -> None:
    assert load_one("a: !!str 80\nb: !!int '7'\n", "f.yaml")[0] == {"a": "80", "b": 7}


def test_a_duplicate_key_is_refused_naming_both_lines() -> None:
    err = refused("config:\n  meshgw:gateways: []\n  other: 1\n  meshgw:gateways: [x]\n")
    assert err.line == 4
    assert "the key 'meshgw:gateways' is given twice in one mapping (first on line 2)" in err.problem


def test_merge_keys_are_not_duplicates() -> None:
    value, _ = load_one("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n", "f.yaml")
    assert value["c"] == {"x": 1, "y": 3}


def test_an_alias_bomb_is_refused_fast_without_expanding_it() -> None:
    start = time.process_time()
    err = refused(BOMB)
    # a0 is 2 nodes and each a(i) is 1 + 10 * a(i-1), so a8 is 211,111,111 nodes. The document:
    # its mapping, 10 keys, a0..a8 once each, the spec mapping, its key and a8 again.
    sizes = [2]
    for _ in range(8):
        sizes.append(1 + 10 * sizes[-1])
    expected = 1 + 10 + sum(sizes) + 2 + sizes[-1]
    assert f"expand this document to {expected} nodes" in err.problem
    assert f"at most {MAX_ALIAS_NODES} are allowed" in err.problem
    assert time.process_time() - start < 60


def test_aliases_within_the_limit_are_fine() -> None:
    value, _ = load_one("a: &a [1, 2, 3]\nb: *a\nc: *a\n", "f.yaml")
    assert value == {"a": [1, 2, 3], "b": [1, 2, 3], "c": [1, 2, 3]}


def test_an_alias_inside_its_own_anchor_is_refused() -> None:
    assert "contains it (a cycle)" in refused("a: &a [1, *a]\n").problem


def test_deep_nesting_is_refused_with_a_clear_message() -> None:
    deep = "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)
    err = refused(f"x: {deep}\n")
    assert err.problem == f"nested more than {MAX_DEPTH} levels deep; flatten the structure"
    ok = "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2)
    assert load_one(f"x: {ok}\n", "f.yaml")[0] is not None


def test_depth_reached_through_aliases_counts() -> None:
    half = MAX_DEPTH // 2 + 5
    text = f"a: &a {'[' * half}1{']' * half}\nb: {'[' * half}*a{']' * half}\n"
    assert f"more than {MAX_DEPTH} levels deep" in refused(text).problem


def test_malformed_yaml_names_the_line() -> None:
    err = refused("a: [1, 2\nb: c\n")
    assert err.line >= 2 and err.problem.startswith("malformed YAML: ")


def test_documents_come_with_their_first_line_and_stop_at_the_first_bad_one() -> None:
    docs = load_documents("a: 1\n---\nb: 2\n---\nc: !!set {x}\n", "m.yaml")
    assert next(docs) == (1, {"a": 1})
    assert next(docs) == (3, {"b": 2})
    with pytest.raises(YamlInputError, match=r"^m\.yaml:5:4: the tag !!set"):
        next(docs)
