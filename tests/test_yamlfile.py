"""The safe YAML reader: positions, duplicate keys, hostile documents."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from busctl.core.errors import LoadError
from busctl.loading.yamlfile import MAX_YAML_BYTES, parse_yaml, read_text


def _code(text: str) -> tuple[str, int, int]:
    with pytest.raises(LoadError) as caught:
        parse_yaml(text, "t.yaml")
    d = caught.value.diagnostic
    return d.code, d.span.line, d.span.col


def test_values_keep_their_positions() -> None:
    doc = parse_yaml("name: x\nconfig:\n  retention.ms: 7d\nlist:\n  - a\n  - b\n", "t.yaml")
    assert doc.data == {"name": "x", "config": {"retention.ms": "7d"}, "list": ["a", "b"]}
    assert str(doc.source.at("config", "retention.ms")) == "t.yaml:3:17"
    assert str(doc.source.key_at("config", "retention.ms")) == "t.yaml:3:3"
    assert str(doc.source.at("list", 1)) == "t.yaml:6:5"
    assert str(doc.source.at("missing", "deeper")) == "t.yaml:1:1"


def test_duplicate_keys_are_errors_at_the_second_key() -> None:
    assert _code("a: 1\nb:\n  c: 1\n  c: 2\n") == ("BUS002", 4, 3)


def test_syntax_error_has_position() -> None:
    assert _code("a: [1, 2\nb: 3\n")[0] == "BUS001"


def test_alias_bomb_is_rejected() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 8)]
    assert _code("\n".join(lines))[0] == "BUS010"


def test_recursive_alias_is_rejected() -> None:
    assert _code("a: &x [1, *x]\n")[0] == "BUS010"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("!!python/object:os.system x\n", "BUS011"),
        ("<<: {a: 1}\n", "BUS011"),
        ("a: 1\n---\nb: 2\n", "BUS001"),
    ],
)
def test_unsafe_or_confusing_yaml_is_rejected(text: str, code: str) -> None:
    assert _code(text)[0] == code


def test_dates_stay_text() -> None:
    assert parse_yaml("since: 2024-01-01\n", "t.yaml").data == {"since": "2024-01-01"}


def test_read_text_refuses_large_binary_and_non_utf8(tmp_path: Path) -> None:
    (tmp_path / "big.yaml").write_bytes(b"a: 1\n" * (MAX_YAML_BYTES // 5 + 1))
    (tmp_path / "bin.yaml").write_bytes(b"a: 1\n\0\0")
    (tmp_path / "latin.yaml").write_bytes(b"a: 1\nb: caf\xe9\n")
    codes = {}
    for name in ("big.yaml", "bin.yaml", "latin.yaml"):
        with pytest.raises(LoadError) as caught:
            read_text(tmp_path, name)
        codes[name] = (caught.value.diagnostic.code, caught.value.diagnostic.span.line)
    assert codes == {"big.yaml": ("BUS008", 0), "bin.yaml": ("BUS007", 2), "latin.yaml": ("BUS007", 2)}


def test_symlink_out_of_the_repo_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("secret: 1\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "link.yaml").symlink_to(outside)
    with pytest.raises(LoadError) as caught:
        read_text(repo, "link.yaml")
    assert caught.value.diagnostic.code == "BUS009"


def test_read_text_never_opens_a_pipe_and_names_loops(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")  # opening it for reading would block until a writer comes
    (tmp_path / "loop.yaml").symlink_to("loop.yaml")
    (tmp_path / "broken.yaml").symlink_to("gone.yaml")
    (tmp_path / "dir.yaml").mkdir()
    found = {}
    for name in ("pipe.yaml", "loop.yaml", "broken.yaml", "dir.yaml"):
        with pytest.raises(LoadError) as caught:
            read_text(tmp_path, name)
        found[name] = (caught.value.diagnostic.code, caught.value.diagnostic.message)
    assert found == {
        "pipe.yaml": ("BUS013", "a named pipe (FIFO), not a regular file"),
        "loop.yaml": ("BUS014", "symlink loop: following it leads back to itself"),
        "broken.yaml": ("BUS014", "broken symlink: its target gone.yaml does not exist"),
        "dir.yaml": ("BUS013", "a directory, not a regular file"),
    }


def test_a_comment_after_plain_free_text_is_noted_with_its_position() -> None:
    text = (
        "description: Billing events   # ours\n"
        "approvals:\n"
        "  - reason: approved, audit agreed in #billing\n"
        '    chat: "#billing"  # quoted: deliberate\n'
        "name: a.b.v1  # not free text\n"
        "owner: x#y\n"
    )
    document = parse_yaml(text, "t.yaml")
    assert document.data["approvals"][0]["reason"] == "approved, audit agreed in"
    assert document.source.comments == {
        ("description",): (1, 31, "# ours", "Billing events"),
        ("approvals", 0, "reason"): (3, 39, "#billing", "approved, audit agreed in"),
    }
