"""The house in rooms: subpackages by concern, arrows pointing one way, short functions.

Layers, lowest first. A module may import from its own layer and from lower
ones, never from a higher one; this holds for imports inside functions too
(only ``if TYPE_CHECKING:`` blocks are exempt, since they never run). The
function vocabulary and the exact engine sit at the bottom because reading
maths builds exact expressions and records their domain with the engine's
range analysis; results sit below both deciding and rendering; the command line
and the web app stand on the public API (``symgrad/__init__.py``).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "symgrad"

LAYERS = [
    {"errors", "_moved"},
    {"runtime"},
    {"exact"},
    {"text"},
    {"results"},
    {"torch"},
    {"ties"},
    {"teaching"},
    {"render"},
    {"derivation", "examples"},
    {"__init__"},
    {"cli", "web", "__main__"},
]
RANK = {room: rank for rank, rooms in enumerate(LAYERS) for room in rooms}
MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 1000


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def _room(module: str) -> str:
    """``symgrad.ties.prove`` -> ``ties``; ``symgrad.errors`` -> ``errors``; ``symgrad`` -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(inner) for inner in ast.walk(node))
    return skipped


def _imported(node: ast.AST, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "symgrad"]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = module.split(".")
        base = base if is_package else base[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if target.split(".")[0] != "symgrad":
        return []
    # ``from symgrad.ties import certify`` imports the module symgrad.ties.certify
    return [
        f"{target}.{a.name}" if _is_module(f"{target}.{a.name}") else target for a in node.names
    ]


def _is_module(dotted: str) -> bool:
    path = PACKAGE.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _graph() -> dict[str, set[str]]:
    graph = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        tree = ast.parse(path.read_text())
        skipped = _type_checking_nodes(tree)
        deps = set()
        for node in ast.walk(tree):
            if id(node) not in skipped:
                deps.update(_imported(node, module, path.name == "__init__.py"))
        graph[module] = {d for d in deps if d != module}
    return graph


def test_at_least_four_subpackages_by_concern():
    rooms = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert {"text", "exact", "ties", "teaching", "torch", "render"} <= rooms


def test_every_room_is_placed_in_a_layer():
    rooms = {_room(m) for m in _graph()}
    assert rooms <= set(RANK), sorted(rooms - set(RANK))


def test_arrows_point_one_way_between_rooms():
    wrong = []
    for module, deps in _graph().items():
        for dep in deps:
            if RANK[_room(dep)] > RANK[_room(module)]:
                wrong.append(f"{module} imports {dep}")
    assert not wrong, "\n".join(sorted(wrong))


def test_no_import_circles_between_modules():
    graph = {m: {d for d in deps if d in _graph_keys()} for m, deps in _graph().items()}
    state: dict[str, int] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for dep in sorted(graph[module]):
            if _room(dep) == "__init__" or dep == module.rsplit(".", 1)[0]:
                continue
            assert state.get(dep) != 1, " -> ".join([*trail, module, dep])
            if dep not in state:
                visit(dep, [*trail, module])
        state[module] = 2

    for module in sorted(graph):
        if module not in state and _room(module) != "__init__":
            visit(module, [])


def _graph_keys() -> set[str]:
    return {_module_name(p) for p in PACKAGE.rglob("*.py")}


def test_deciding_code_never_imports_rendering_or_the_cli():
    for module, deps in _graph().items():
        if _room(module) in {"exact", "text", "results", "torch", "ties", "teaching"}:
            assert not {_room(d) for d in deps} & {"render", "cli", "web"}, module


def test_no_function_over_80_lines():
    long = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(PACKAGE)}:{node.name} {lines} lines")
    assert not long, "\n".join(sorted(long))


def test_no_module_over_1000_lines():
    long = [
        f"{p.relative_to(PACKAGE)} {n} lines"
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    ]
    assert not long, "\n".join(sorted(long))


def test_the_public_api_is_unchanged():
    import symgrad

    expected = {
        "BudgetError", "CertificateFailure", "GradientResult", "Trajectory", "CheckResult",
        "check", "check_derivation", "CollapseResult", "DerivationResult", "collapse",
        "from_torch", "ModelProofResult", "simulate", "DatasetError", "Model", "ModelError",
        "ParseError", "Problem", "ProblemError", "ProofResult", "SymgradError", "TieError",
        "Witness", "gradients", "grade", "model", "ParametricResult", "parse_expression",
        "prove_parametric", "prove",
    }  # fmt: skip
    assert expected <= set(symgrad.__all__)
    for name in symgrad.__all__:
        assert getattr(symgrad, name) is not None, name
    assert callable(symgrad.prove) and callable(symgrad.check) and callable(symgrad.grade)


def test_old_flat_import_paths_still_resolve_to_the_moved_modules():
    import importlib

    import symgrad
    from symgrad._moved import MOVED

    for old, new in MOVED.items():
        if old.startswith("torch") or old == "exact_tensor":
            continue  # these need torch; covered in tests/torch
        assert importlib.import_module(f"symgrad.{old}") is importlib.import_module(
            f"symgrad.{new}"
        ), old
    # the public functions are never replaced by the old module of the same name
    for name in ("prove", "check", "collapse", "simulate", "grade"):
        assert callable(getattr(symgrad, name)), name
    from symgrad.prove import prove

    assert prove is symgrad.prove


def test_importing_symgrad_does_not_import_sympy():
    import subprocess
    import sys

    code = "import sys, symgrad; print('sympy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
