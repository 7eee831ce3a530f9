"""The house as the code draws it: every module in its layer, imports pointing one way.

Read from the source (every import statement, at any depth, TYPE_CHECKING blocks
included), so the picture in the design stays true as modules move.
"""

from __future__ import annotations

import ast

import pytest
from conftest import ROOT

PACKAGE = ROOT / "gpusetup"
#: the modules allowed at the top of the package; everything else lives in a layer
TOP_LEVEL = {"cli", "__main__", "__init__", "facts", "findings", "knowledge", "serde"}
LAYERS = {
    "probe",
    "parse",
    "diagnose",
    "libs",
    "devices",
    "wheels",
    "tasks",
    "fix",
    "render",
    "demo",
    "logtriage",
}
#: layer -> layers (or top-level modules) it must never import
FORBIDDEN = {
    "diagnose": {"probe", "tasks", "cli", "fix", "render"},
    "parse": {"probe", "tasks", "cli", "diagnose", "render", "fix"},
    "libs": {"probe", "tasks", "cli", "render", "fix"},
    "devices": {"probe", "tasks", "cli", "render", "fix"},
    "logtriage": {"probe", "tasks", "cli", "render", "fix", "diagnose"},
    "probe": {"tasks", "cli"},
    "render": {"tasks", "cli"},
    "fix": {"tasks", "cli"},
    "tasks": {"cli"},
    "facts": {"probe", "tasks", "cli", "render"},
}


def _module(path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _imports(path) -> set[str]:
    """Every gpusetup module ``path`` imports, as dotted names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module(path).rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base]) if base else ".".join(parts)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "gpusetup" or name.startswith("gpusetup.")}


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_only_the_named_modules_live_at_the_top():
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top == TOP_LEVEL, top ^ TOP_LEVEL
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert packages == LAYERS, packages ^ LAYERS


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_imports_against_the_flow(path):
    layer = _layer(_module(path))
    forbidden = FORBIDDEN.get(layer, set())
    wrong = sorted(m for m in _imports(path) if _layer(m) in forbidden)
    assert not wrong, f"{_module(path)} ({layer}) imports {wrong}"


def test_the_rules_see_real_imports():
    """The reader of imports is not blind: the CLI imports tasks and render, the probes
    import the fact types, the checks import libs and devices."""
    imported = {_module(p): _imports(p) for p in SOURCES}
    assert {"gpusetup.tasks", "gpusetup.render"} <= {
        ".".join(m.split(".")[:2]) for m in imported["gpusetup.cli"]
    }
    assert "gpusetup.facts" in imported["gpusetup.probe.nvml"]
    checks = set().union(*(v for k, v in imported.items() if k.startswith("gpusetup.diagnose")))
    assert {"gpusetup.libs.resolve", "gpusetup.devices.map"} <= checks
