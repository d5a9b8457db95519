"""The eval package's modules import one another one way only: records -> writer -> aggregation/reports.

Read from the source with `ast` (every import, including those inside functions, which is where a cycle
hides until some command runs), so the check is cheap and needs none of the heavy libraries.
"""

from __future__ import annotations

import ast
from pathlib import Path

EVAL = Path(__file__).resolve().parents[1] / "eval"


def eval_imports() -> dict[str, set[str]]:
    """For each eval module, the eval modules it imports anywhere in its body."""
    modules = {p.stem for p in EVAL.glob("*.py") if p.stem != "__init__"}
    graph: dict[str, set[str]] = {}
    for name in modules:
        tree = ast.parse((EVAL / f"{name}.py").read_text(encoding="utf-8"))
        found: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "eval":  # from eval import x, y
                found |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("eval."):
                found.add(node.module.split(".")[1])
            elif isinstance(node, ast.Import):
                found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("eval.")}
        graph[name] = (found & modules) - {name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path (first module repeated at the end), or None."""
    state: dict[str, str] = {}  # "open" while on the current path, "done" once fully explored
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_eval_modules_import_without_cycles() -> None:
    graph = eval_imports()
    assert {"records", "store", "aggregate", "report", "run_qa"} <= set(graph)  # the scan sees the package
    assert graph["cli"] >= {"aggregate", "run_qa"}  # ... and the imports inside functions
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_data_flows_from_runners_to_reports() -> None:
    """Records know no one; the writer and aggregation know no runner; reports know no runner or writer."""
    graph = eval_imports()

    def reaches(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen

    runners = {"run_qa", "run_summaries", "runner", "cli", "cli_runs", "outputs"}
    assert not reaches("records") & {"store", "aggregate", "report", "plots", *runners}
    for module in ("store", "aggregate", "report", "plots", "compare", "scoring"):
        assert not reaches(module) & runners, module


def test_find_cycle_finds_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
