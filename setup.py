"""ckanext-maemoh: the Mae Moh City Data Platform CKAN extension.

The repository keeps domain code in top-level folders (``harvesters/``,
``risk_jobs/``, ``netzero/``, ``writers/``, ``forecast/``, ``alerts/``, ``citizen/``) and scheming YAML in ``schemas/``;
they are installed under the ``ckanext.maemoh`` namespace so nothing bare
lands in site-packages.
"""
import ast
import pathlib

from setuptools import setup


def _sensor_sources():
    """``harvesters.SENSOR_SOURCES``, read without importing the package."""
    tree = ast.parse(pathlib.Path(__file__).with_name("harvesters").joinpath("__init__.py").read_text())
    (value,) = [node.value for node in tree.body if isinstance(node, ast.Assign)
                and [t.id for t in node.targets] == ["SENSOR_SOURCES"]]
    return ast.literal_eval(value)


PACKAGE_DIRS = {
    "ckanext": "ckanext-maemoh/ckanext",
    "ckanext.maemoh": "ckanext-maemoh/ckanext/maemoh",
    "ckanext.maemoh.tests": "ckanext-maemoh/ckanext/maemoh/tests",
    **{f"ckanext.maemoh.{name}": f"ckanext-maemoh/ckanext/maemoh/{name}" for name in (
        "alerting", "demo", "forecasting", "ghg", "harvest", "logic", "reference", "residents", "risk", "search", "store",
        "tables", "trust")},
    "ckanext.maemoh.harvesters": "harvesters",
    "ckanext.maemoh.harvesters.tests": "harvesters/tests",
    "ckanext.maemoh.risk_jobs": "risk_jobs",
    "ckanext.maemoh.risk_jobs.tests": "risk_jobs/tests",
    "ckanext.maemoh.netzero": "netzero",
    "ckanext.maemoh.netzero.tests": "netzero/tests",
    "ckanext.maemoh.writers": "writers",
    "ckanext.maemoh.writers.tests": "writers/tests",
    "ckanext.maemoh.forecast": "forecast",
    "ckanext.maemoh.forecast.tests": "forecast/tests",
    "ckanext.maemoh.alerts": "alerts",
    "ckanext.maemoh.alerts.tests": "alerts/tests",
    "ckanext.maemoh.citizen": "citizen",
    "ckanext.maemoh.citizen.tests": "citizen/tests",
    "ckanext.maemoh.schemas": "schemas",
}

setup(
    name="ckanext-maemoh",
    version="0.1.0",
    description="Mae Moh City Data Platform: energy and environment data, "
    "harvesters and spatial-risk jobs for CKAN",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="AGPL-3.0-or-later",
    python_requires=">=3.10",
    package_dir=PACKAGE_DIRS,
    packages=[name for name in PACKAGE_DIRS if name != "ckanext"],
    package_data={
        "ckanext.maemoh": [
            "config_declaration.yaml",
            "data/*",
            "data/ghg/*",
            "templates/**/*.html",
            "templates/**/*.atom",
            "templates/**/*.txt",
            "migration/maemoh/*.ini",
            "migration/maemoh/*.mako",
            "assets/*",
            "assets/vendor/*/*",
            "public/*/*",
            "i18n/*/LC_MESSAGES/*.po",
            "i18n/*/LC_MESSAGES/*.mo",
        ],
        "ckanext.maemoh.schemas": ["*.yaml", "*.json"],
        "ckanext.maemoh.netzero": ["*.yaml"],
        "ckanext.maemoh.alerts": ["data/*"],
    },
    install_requires=[
        "ckan>=2.11,<2.13",
        "ckanext-scheming",
        "ckanext-spatial",
        "ckanext-harvest",
        "ckanext-dcat",
        "ckanext-geoview",
        "ckanapi",
        "pandas",
        "geopandas",
        "libpysal",
        "esda",
        "requests",
    ],
    entry_points={
        "ckan.plugins": [
            "maemoh = ckanext.maemoh.plugin:MaeMohPlugin",
            "maemoh_risk_map = ckanext.maemoh.plugin:RiskMapViewPlugin",
            "maemoh_pdf_view = ckanext.maemoh.plugin:PdfViewPlugin",
            "maemoh_demo = ckanext.maemoh.demo.plugin:MaeMohDemoPlugin",
            *(f"maemoh_{module}_harvester = ckanext.maemoh.harvest.plugins:{class_name}Harvester"
              for module, class_name in _sensor_sources().items()),
            "maemoh_firms_harvester = ckanext.maemoh.harvest.plugins:FirmsHarvester",
            "maemoh_traffy_harvester = ckanext.maemoh.harvest.plugins:TraffyHarvester",
            "maemoh_agency_files_harvester = "
            "ckanext.maemoh.harvest.plugins:AgencyFilesHarvester",
            "maemoh_ckan_harvester = ckanext.maemoh.harvest.upstream:MaeMohCKANHarvester",
            "maemoh_dcat_mapping = ckanext.maemoh.harvest.upstream:DCATHarvestMapping",
            "maemoh_dcat_rdf_harvester = "
            "ckanext.maemoh.harvest.dcat_guarded:GuardedDCATRDFHarvester",
        ],
        "ckan.rdf.profiles": [
            "maemoh_dcat_ap = ckanext.maemoh.dcat:MaeMohDCATAPProfile",
        ],
    },
    message_extractors={
        "ckanext-maemoh/ckanext": [
            ("**.py", "python", None),
            ("**/templates/**.html", "ckan", None),
        ],
    },
)
