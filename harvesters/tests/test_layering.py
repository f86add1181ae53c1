"""The layers of the house hold.

* The domain packages (``harvesters``, ``risk_jobs``, ``netzero``, ``forecast``,
  ``writers``) never import CKAN, so they run and test without it: every
  module of each is imported in a fresh interpreter, which must not load ``ckan``.
* They import each other only through public names (no ``_private`` module
  or name of another package).
* Nothing outside ``demo/`` imports the demo.
* The CKAN layer's modules and capability packages import each other
  without cycles.
"""
import ast
import pathlib
import subprocess
import sys

import pytest

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]
PURE = ("harvesters", "risk_jobs", "netzero", "writers", "forecast", "alerts", "citizen")
CKAN_LAYER = REPOSITORY / "ckanext-maemoh" / "ckanext" / "maemoh"

PROBE = """
import importlib, pkgutil, sys
package = importlib.import_module(sys.argv[1])
for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    importlib.import_module(module.name)
loaded = sorted(m for m in sys.modules if m == "ckan" or m.startswith("ckan."))
print(" ".join(loaded))
"""


@pytest.mark.parametrize("package", [f"ckanext.maemoh.{name}" for name in PURE])
def test_importing_every_module_loads_no_ckan(package):
    done = subprocess.run(
        [sys.executable, "-c", PROBE, package],
        capture_output=True, text=True, check=True,
    )
    assert done.stdout.strip() == ""


def test_no_bare_domain_package_is_importable_from_site_packages():
    probe = ("import importlib.util as u; "
             "print(u.find_spec('harvesters'), u.find_spec('risk_jobs'), u.find_spec('netzero'))")
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True,
        check=True, cwd="/",
    )
    assert done.stdout.strip() == "None None None"


def imports(path):
    """``(module, [names])`` of each ``from ... import`` and ``import`` in a file."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module, [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []


def sources(folder):
    return sorted(path for path in folder.rglob("*.py") if "tests" not in path.parts)


@pytest.mark.parametrize("package", PURE)
def test_pure_packages_import_each_other_by_public_names(package):
    private = []
    for path in sources(REPOSITORY / package):
        for module, names in imports(path):
            parts = module.split(".")
            if parts[:2] != ["ckanext", "maemoh"] or len(parts) < 3 or parts[2] == package:
                continue
            assert parts[2] in PURE, f"{path.name} imports {module}, which is not a pure package"
            private += [f"{path.name}: {module} {name}" for name in [*parts[3:], *names]
                        if name.startswith("_")]
    assert private == []


def test_nothing_outside_the_demo_imports_it():
    outside = [path for path in sources(CKAN_LAYER) + [p for name in PURE for p in sources(REPOSITORY / name)]
               if "demo" not in path.relative_to(CKAN_LAYER if CKAN_LAYER in path.parents else REPOSITORY).parts[:1]]
    importers = [f"{path.relative_to(REPOSITORY)}: {module}" for path in outside
                 for module, names in imports(path)
                 if module.startswith("ckanext.maemoh.demo") or (module == "ckanext.maemoh" and "demo" in names)]
    assert importers == []


def test_the_ckan_layer_imports_without_cycles():
    parts = {path.stem if path.suffix else path.name: path for path in CKAN_LAYER.iterdir()
             if (path.suffix == ".py" and path.stem != "__init__") or (
                 path.is_dir() and (path / "__init__.py").exists() and path.name != "tests")}
    edges = {name: set() for name in parts}
    for name, path in parts.items():
        for source in (sources(path) if path.is_dir() else [path]):
            for module, names in imports(source):
                dotted = module.split(".")
                targets = dotted[2:3] if module != "ckanext.maemoh" else names
                edges[name] |= {t for t in targets if t in parts and t != name}

    def cycle_from(name, trail):
        if name in trail:
            return trail[trail.index(name):] + [name]
        return next((found for target in sorted(edges[name])
                     if (found := cycle_from(target, trail + [name]))), None)

    assert [cycle for name in sorted(parts) if (cycle := cycle_from(name, []))] == []
