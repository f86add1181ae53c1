"""The reference datasets of the platform, by name: the boundary dataset
every place is read from, the greenhouse-gas factor dataset, the names of
the inventory's dataset type and resources, the tag that marks made-up
data, and the Government Data Catalog defaults of the datasets it makes.

Each name is spelled here only. The boundary dataset's name is the option
``ckanext.maemoh.boundary_dataset``, for an operator whose boundaries are
published under another name.
"""
import ckan.plugins.toolkit as tk

BOUNDARY_OPTION = "ckanext.maemoh.boundary_dataset"
BOUNDARY_ATTRIBUTION = (
    "Administrative boundaries: Royal Thai Survey Department / OCHA ROAP, "
    "Thailand COD-AB (HDX cod-ab-tha), CC BY-IGO 3.0; modified (subset, "
    "rounded coordinates, renamed attributes)."
)
#: the files of the boundary dataset (in ``data/``): (file, format, name, description)
BOUNDARY_RESOURCES = [
    ("maemoh_tambons.geojson", "GeoJSON", "Tambon boundaries (5 sub-districts)",
     "ขอบเขตตำบล 5 ตำบล / the five sub-districts, EPSG:4326."),
    ("maemoh_district.geojson", "GeoJSON", "District outline",
     "ขอบเขตอำเภอแม่เมาะ / the district outline, EPSG:4326."),
    ("population_2024.csv", "CSV", "Registered population 2024 (per tambon)",
     "ประชากรตามทะเบียนราษฎร 31 ธันวาคม 2567 รายตำบล / registered population on 31 December 2024, "
     "per tambon. Department of Provincial Administration, registration statistics 2024."),
]

#: emission factors, GWP sets and sequestration factors (TGO, IPCC)
FACTORS_DATASET = "ghg-emission-factors"
#: the inventory's dataset type and the resources a page or action reads back
GHG_INVENTORY_TYPE = "ghg-inventory"
GHG_GUIDANCE_TABLE = "Guidance"
GHG_TAMBON_TABLE = "Emissions per tambon"
GHG_PATHWAY_CSV = "Pathway (CSV)"
GHG_SECTORS_PNG = "Emissions by sector (PNG)"
GHG_PATHWAY_PNG = "Pathway to 2050 (PNG)"
#: the PM2.5 forecast's dataset type, its dataset and the table pages and actions read
FORECAST_TYPE = "forecast"
FORECAST_DATASET = "forecast-pm25"
FORECAST_TABLE = "Forecast"
FORECAST_DAILY_TABLE = "Daily forecast"
#: the low-cost sensors' calibration: its dataset and tables
CALIBRATION_DATASET = "sensor-calibration"
CALIBRATION_CORRECTIONS_TABLE = "Corrections"
CALIBRATION_CORRECTED_TABLE = "Corrected PM2.5"
#: the residents' approved reports and their table
CITIZEN_REPORTS_DATASET = "citizen-reports"
CITIZEN_REPORTS_TABLE = "Reports"
#: a dataset with this tag holds made-up data: what is computed from it says so
ILLUSTRATIVE_TAG = "illustrative"

#: Government Data Catalog fields of the datasets the platform makes
GDC_DEFAULTS = {
    "objective": ["public-service"],
    "data_category": "public",
    "data_language": ["th", "en"],
    "data_type": "record",
}


def boundary_dataset():
    """The name of the dataset of the tambon boundaries and population."""
    return tk.config.get(BOUNDARY_OPTION)


def is_illustrative(dataset):
    """True when ``dataset`` is tagged as made-up data."""
    return any(tag.get("name") == ILLUSTRATIVE_TAG for tag in dataset.get("tags") or [])
