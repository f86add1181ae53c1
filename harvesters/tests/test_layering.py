"""The domain packages never import CKAN, so they run and test without it.

One test for the domain packages (``harvesters``, ``risk_jobs``, ``netzero``): it
imports every module of each in a fresh interpreter and looks for ``ckan``.
"""
import subprocess
import sys

import pytest

PROBE = """
import importlib, pkgutil, sys
package = importlib.import_module(sys.argv[1])
for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    importlib.import_module(module.name)
loaded = sorted(m for m in sys.modules if m == "ckan" or m.startswith("ckan."))
print(" ".join(loaded))
"""


@pytest.mark.parametrize("package", [
    "ckanext.maemoh.harvesters", "ckanext.maemoh.risk_jobs", "ckanext.maemoh.netzero",
])
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
