"""Which code may import which: `panel/` is the base every app builds on and imports none of
them (but its URL root); the sandbox is a program of its own; nothing imports the tests."""

import ast
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = {"accounts", "catalog", "orders", "demo", "bench", "sandbox", "tests"}


def imported(path: Path) -> set[str]:
    """The top-level packages `path` imports (relative imports excluded)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def tracked(*parts: str) -> list[Path]:
    """The Python files git tracks under `parts` (the whole tree by default)."""
    where = "/".join(parts) or "."
    names = subprocess.run(
        ["git", "ls-files", "--", f"{where}/*.py"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    return [ROOT / name for name in names]


def python_files(*parts: str) -> list[Path]:
    return [p for p in tracked(*parts) if "migrations" not in p.parts]


def test_panel_imports_no_app_but_in_its_url_root():
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported(path) & APPS)
        for path in python_files("panel")
        if path.name != "urls.py" and imported(path) & APPS
    }
    assert wrong == {}


def test_the_sandbox_imports_only_itself_and_the_standard_library():
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported(path) & (APPS - {"sandbox"} | {"panel"}))
        for path in python_files("sandbox")
    }
    assert {name: apps for name, apps in wrong.items() if apps} == {}


def test_no_code_imports_the_tests_and_no_test_module_imports_another():
    wrong = []
    for path in tracked():
        inside_tests = path.relative_to(ROOT).parts[0] == "tests"
        if not inside_tests and "tests" in imported(path):
            wrong.append(str(path.relative_to(ROOT)))
        if path.name.startswith("test_") and any(
            module.split(".")[-1].startswith("test_") for module in _modules(path)
        ):
            wrong.append(str(path.relative_to(ROOT)))
    assert wrong == []


def _modules(path: Path) -> list[str]:
    modules = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.append(node.module)
        elif isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
    return modules
