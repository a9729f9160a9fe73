"""The arrows point one way: no import circles, and deciding code never imports rendering."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "symgrad"
DECIDING = {
    "prove", "check", "collapse", "condition", "solve", "zero", "sampling", "calculus",
    "symmetry", "multistep", "parametric", "certify", "diagnose", "gradient", "simulate",
    "problem", "evaluate", "ranges", "parse", "grammar", "latex", "models", "results",
}  # fmt: skip


def _imports() -> dict[str, set[str]]:
    graph = {}
    for path in PACKAGE.glob("*.py"):
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("symgrad")
            ):
                parts = node.module.split(".")
                deps.update([parts[1]] if len(parts) > 1 else [a.name for a in node.names])
            elif isinstance(node, ast.Import):
                deps.update(
                    a.name.split(".")[1] for a in node.names if a.name.startswith("symgrad.")
                )
        graph[path.stem] = deps - {path.stem}
    return graph


def test_no_import_circles():
    graph = _imports()
    state: dict[str, int] = {}

    def visit(module, trail):
        state[module] = 1
        for dep in graph.get(module, ()):
            if dep not in graph or dep == "__init__":
                continue
            assert state.get(dep) != 1, " -> ".join([*trail, module, dep])
            if dep not in state:
                visit(dep, [*trail, module])
        state[module] = 2

    for module in graph:
        if module not in state and module != "__init__":
            visit(module, [])


def test_deciding_code_never_imports_rendering():
    graph = _imports()
    for module in DECIDING:
        assert "report" not in graph[module], module
        assert "cli" not in graph[module], module
