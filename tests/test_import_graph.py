"""The production import graph: no circles, and nothing from a developer's machine."""

import ast
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from microshop.devtools.embedded_db import free_port

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "microshop"
DEV_ONLY = ("pgserver", "honcho", "microshop.devtools")


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The microshop modules `path` imports at module level or inside functions."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            # `from package import module` imports the module; `from module import name` the module.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        found.update(target for target in targets if target in modules and target != name)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(path): path for path in SRC.rglob("*.py") if "migrations" not in path.parts}
    modules = set(paths)
    return {name: imports_of(path, modules) for name, path in paths.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path that ends where it starts, or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_finds_a_cycle_when_there_is_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_source_tree_has_no_import_cycle() -> None:
    graph = import_graph()
    assert len(graph) > 50, "the walk found the package"
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("service", ["auth", "products", "inventory"])
def test_a_service_imports_nothing_from_a_developers_machine(service: str) -> None:
    """What the service image runs (`microshop serve <service>`) in a fresh interpreter."""
    script = (
        f"import json, sys, microshop.cli, microshop.{service}.app; "
        f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({DEV_ONLY!r}))))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == []


def test_serve_starts_without_the_local_extra(database_url: str, tmp_path: Path) -> None:
    """`microshop serve products` answers /ready in an interpreter where pgserver and honcho cannot be imported."""
    port = free_port()
    blocked = "import sys; sys.modules.update(pgserver=None, honcho=None)"  # None in sys.modules: ImportError
    script = f"{blocked}; from microshop.cli import main; sys.exit(main(['serve', 'products']))"
    env = {**os.environ, "MICROSHOP_ENV": "test", "DATABASE_URL": database_url, "PRODUCTS_PORT": str(port)}
    log = tmp_path / "products.log"
    with log.open("w") as output:
        process = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            status = None
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and process.poll() is None and status != 200:
                try:
                    status = httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code
                except httpx.HTTPError:
                    time.sleep(0.2)
            assert status == 200, log.read_text()[-2000:]
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_a_dev_command_without_the_local_extra_says_what_to_install() -> None:
    blocked = "import sys; sys.modules.update(pgserver=None, honcho=None)"
    script = f"{blocked}; from microshop.cli import main; sys.exit(main(['db', 'start']))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "microshop[local]" in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
