"""The folder tree is the architecture: the core stays pure, only adapters touch external systems."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "cli" / "busctl"
EXTERNAL = {"confluent_kafka", "grpc_tools", "subprocess", "git", "typer", "jinja2", "yaml", "google"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_imports_no_external_system_and_no_outer_layer() -> None:
    for path in (PACKAGE / "core").glob("*.py"):
        for name in _imports(path):
            root = name.split(".")[0]
            assert root not in EXTERNAL, f"{path.name} imports {name}"
            if name.startswith("busctl."):
                assert name.startswith("busctl.core"), f"{path.name} imports {name}"


def test_only_adapters_run_external_tools() -> None:
    for path in PACKAGE.rglob("*.py"):
        if path.parent.name == "adapters":
            continue
        roots = {name.split(".")[0] for name in _imports(path)}
        assert not roots & {"confluent_kafka", "grpc_tools", "subprocess", "git"}, path
