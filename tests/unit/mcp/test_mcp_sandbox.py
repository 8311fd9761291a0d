"""The filesystem sandbox: paths stay under the root, sizes are limited, errors are clear."""

from __future__ import annotations

from pathlib import Path

import pytest

from praxis_sdk.mcp.filesystem import FsError, Sandbox, parse_args


@pytest.fixture
def box(tmp_path: Path) -> Sandbox:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("top secret")
    (root / "in.txt").write_text("inside")
    (root / "sub").mkdir()
    (root / "sub" / "link_in").symlink_to(root / "in.txt")
    (root / "link_out").symlink_to(outside / "secret.txt")
    (root / "dir_out").symlink_to(outside)
    (root / "loop").symlink_to(root / "loop")
    return Sandbox(root, max_read_bytes=64, max_write_bytes=64)


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("../outside/secret.txt", "outside the shared root"),
        ("sub/../../outside/secret.txt", "outside the shared root"),
        ("%2e%2e/outside/secret.txt", "percent-encoded"),
        ("..%2Foutside", "percent-encoded"),
        ("/etc/passwd", "outside the shared root"),
        ("link_out", "outside the shared root"),
        ("dir_out/secret.txt", "outside the shared root"),
        ("dir_out/new.txt", "outside the shared root"),
        ("in.txt\x00", "NUL byte"),
        ("n" * 256, "longer than 255 bytes"),
        ("x/" * 2049, "longer than 4096"),
        ("", "non-empty"),
    ],
)
def test_refused_paths(box: Sandbox, path: str, reason: str) -> None:
    with pytest.raises(FsError, match=reason):
        box.resolve(path)
    with pytest.raises(FsError):
        box.read_file(path)
    with pytest.raises(FsError):
        box.write_file(path, "pwned")
    outside = box.root.parent / "outside"
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert (outside / "secret.txt").read_text() == "top secret"


def test_absolute_inside_and_inner_symlinks_allowed(box: Sandbox) -> None:
    assert box.read_file(str(box.root / "in.txt")) == "inside"
    assert box.read_file("sub/link_in") == "inside"
    assert box.resolve(".") == box.root


def test_symlink_loop_is_a_clear_error(box: Sandbox) -> None:
    with pytest.raises(FsError, match="loop|cannot be resolved|does not exist|link"):
        box.read_file("loop")


def test_size_limits(box: Sandbox) -> None:
    with pytest.raises(FsError, match="over the write limit of 64 bytes"):
        box.write_file("big.txt", "x" * 65)
    box.write_file("grow.txt", "x" * 60)
    with pytest.raises(FsError, match="appending would make"):
        box.write_file("grow.txt", "x" * 10, "append")
    (box.root / "huge.txt").write_text("y" * 65)
    with pytest.raises(FsError, match="over the read limit of 64 bytes"):
        box.read_file("huge.txt")


def test_write_modes_and_operations(box: Sandbox) -> None:
    box.write_file("a.txt", "1")
    box.write_file("a.txt", "2", "append")
    with pytest.raises(FsError, match="already exists"):
        box.write_file("a.txt", "3", "create_only")
    with pytest.raises(FsError, match="mode must be"):
        box.write_file("a.txt", "3", "clobber")
    with pytest.raises(FsError, match="does not exist"):
        box.write_file("missing/a.txt", "3")
    assert box.read_file("a.txt") == "12"
    box.create_directory("d/e")
    box.move_file("a.txt", "d/e/b.txt")
    with pytest.raises(FsError, match="already exists"):
        box.move_file("in.txt", "d/e/b.txt")
    assert "[DIR] e" in box.list_directory("d")
    assert "size: 2" in box.get_file_info("d/e/b.txt")
    assert box.search_files(".", "b.txt").endswith("d/e/b.txt")
    assert "d/e/b.txt" in box.search_files(".", "*.txt", ["in.txt"])
    with pytest.raises(FsError, match="directory"):
        box.delete_file("d")
    box.delete_file("d/e/b.txt")
    with pytest.raises(FsError, match="does not exist"):
        box.delete_file("d/e/b.txt")


def test_cli_defaults_from_environment() -> None:
    args = parse_args(["--root", "/data", "--port", "4000"])
    assert (args.root, args.port, args.host) == ("/data", 4000, "0.0.0.0")


def test_messages_never_show_the_host_root(box: Sandbox) -> None:
    said = [box.create_directory("notes"), box.write_file("notes/a.txt", "x"),
            box.create_directory("more"),
            box.move_file("notes/a.txt", "more/b.txt"), box.delete_file("more/b.txt")]
    assert said[1] == "Wrote 1 bytes to notes/a.txt"
    assert all(str(box.root) not in text for text in said), said
