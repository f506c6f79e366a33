"""The package is layered as the README's layout says: each subpackage imports only the ones below it, and no
module imports another that (directly or not) imports it back. Read from the source, so a new import that
breaks the layering fails here, not in a reader's head."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .conftest import ROOT

ENGINE = ROOT / "engine"
# Lowest first. review and ssd stand side by side above caseload; neither imports the other.
LAYERS = {"core": 0, "policy": 1, "evaluation": 2, "caseload": 3, "review": 4, "ssd": 4, "serve": 5, "cli": 6}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(f): f for f in ENGINE.rglob("*.py")}


def imports(path: Path) -> set[str]:
    """The cpc modules ``path`` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("engine"):
            assert node.level == 0, f"{path}: relative import; cpc's modules import each other by full name"
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("engine.")}
    return {m for m in found if m in MODULES and m != "engine"}


GRAPH = {name: imports(path) for name, path in MODULES.items()}


def layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 2 or (len(parts) == 2 and parts[1] in LAYERS) else None


@pytest.mark.parametrize("module", sorted(m for m in MODULES if layer(m) is not None))
def test_a_module_imports_only_its_own_layer_and_those_below(module: str) -> None:
    mine = module.split(".")[1]
    for other in GRAPH[module]:
        theirs = other.split(".")[1] if layer(other) is not None else None
        if theirs is None or theirs == mine:
            continue
        assert LAYERS[theirs] < LAYERS[mine], f"{module} imports {other}: {theirs} is not below {mine}"


def test_no_module_imports_itself_back_through_others() -> None:
    # Depth-first search for a cycle; the first found is named whole.
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for other in sorted(GRAPH[module]):
            if state.get(other) == 1:
                return [*path[path.index(other) :], other]
            if other not in state and (cycle := visit(other)):
                return cycle
        path.pop()
        state[module] = 2
        return None

    for module in sorted(GRAPH):
        if module not in state and (cycle := visit(module)):
            pytest.fail("import cycle: " + " -> ".join(cycle))


def test_only_the_cli_imports_click_and_only_durable_imports_durable_rules() -> None:
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        top |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        if "click" in top:
            assert module.startswith("engine.cli."), f"{module} imports click"
        if "durable" in top:
            assert module == "engine.evaluation.durable", f"{module} imports durable-rules"


def test_the_public_api_is_importable_from_engine_as_docs_api_md_says() -> None:
    import engine

    for name in engine.__all__:
        assert getattr(engine, name) is not None, name
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for name in ("load_policy", "PolicyError", "CaseError", "Finding"):
        assert f"engine.{name}" in text and name in engine.__all__, name
