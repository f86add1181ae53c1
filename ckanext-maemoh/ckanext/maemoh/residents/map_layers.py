"""What the residents' pages need beyond :mod:`.snapshot`: the map layers
and the links of the latest published inventory, both from the snapshot."""
import itertools

import h3

import ckan.plugins.toolkit as tk

from ckanext.maemoh.reference import datasets, places
from ckanext.maemoh.residents import snapshot
from ckanext.maemoh.risk_jobs import composite
from ckanext.maemoh.risk_jobs import air_now

NO_DATA_COLOUR = "#BDBDBD"


def map_layers(lang):
    """GeoJSON FeatureCollections (EPSG:4326): tambons and stations coloured
    by their current band (grey when stale or without data), the tambons'
    highest air-risk class, the fire detections of the last 48 hours, and
    the residents' approved reports of the last 30 days by H3 cell (the
    cell's outline, never a point)."""
    stations = snapshot.station_aqi()
    tambons = {t["tambon_code"]: t for t in snapshot.tambon_aqi(stations=stations)}
    layer = snapshot.risk_summary(dimension="air").get("air", {"tambons": []})
    risk = {row["tambon_code"]: composite.RISK_CLASS_BY_VALUE.get(row.get("risk_class_max"))
            for row in layer["tambons"]}
    tambon_features = []
    for shape in places.tambon_features():
        code = shape["properties"]["tambon_code"]
        cls = risk.get(code)
        tambon_features.append(_feature(shape["geometry"], tambons[code], lang, tambon_code=code,
                                        name=shape["properties"][f"name_{lang}"],
                                        url=tk.url_for("maemoh_residents.tambon", code=code),
                                        risk_class=cls.value if cls else None,
                                        risk_label=getattr(cls, f"label_{lang}") if cls else None,
                                        risk_colour=cls.colour if cls else NO_DATA_COLOUR))
    station_features = [
        _feature({"type": "Point", "coordinates": [s["longitude"], s["latitude"]]}, s, lang,
                 station_id=s["station_id"], name=s[f"name_{lang}"] or s["station_id"])
        for s in stations]
    fires = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [f["longitude"], f["latitude"]]},
              "properties": {"time_local": f["time_local"], "frp_mw": f["frp_mw"]}}
             for f in snapshot.fire_hotspots(hours=48)]
    return {"tambons": _collection(tambon_features), "stations": _collection(station_features),
            "fires": _collection(fires), "reports": _collection(_report_cells(lang))}


def _report_cells(lang):
    """One feature per H3 cell with approved reports: its outline, how many,
    of which kinds (in ``lang``), and when the newest was seen."""
    reports = sorted(snapshot.citizen_reports(), key=lambda r: r["h3_cell"])
    features = []
    for cell, rows in itertools.groupby(reports, key=lambda r: r["h3_cell"]):
        rows = list(rows)
        ring = [[lng, lat] for lat, lng in h3.cell_to_boundary(cell)]
        kinds = sorted({r[f"category_{lang}"] for r in rows})
        features.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring + ring[:1]]},
                         "properties": {"h3_cell": cell, "reports": len(rows), "categories": kinds,
                                        "latest_local": max(r["time_local"] for r in rows)}})
    return features


def _feature(geometry, item, lang, **properties):
    current = None if item.get("stale") else item.get("band")
    info = air_now.band_info(current, lang)
    return {"type": "Feature", "geometry": geometry, "properties": dict(
        properties, aqi=item.get("aqi") if current else None, band=current,
        band_name=info["name"], colour=info["colour"] if current else NO_DATA_COLOUR)}


def _collection(features):
    return {"type": "FeatureCollection", "features": features}


def latest_inventory():
    """The newest public ``ghg-inventory`` dataset the district publishes
    (from the snapshot), with its page and chart URLs, or None."""
    dataset = snapshot.inventory()
    if dataset is None:
        return None
    resources = {r["name"]: r for r in dataset["resources"]}
    return {"dataset": dataset,
            "url": tk.url_for("ghg-inventory.read", id=dataset["name"]),
            "sector_png": resources.get(datasets.GHG_SECTORS_PNG, {}).get("url"),
            "pathway_png": resources.get(datasets.GHG_PATHWAY_PNG, {}).get("url")}
