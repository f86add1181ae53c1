"""What a forecast run reads, as :class:`ckanext.maemoh.forecast.Inputs`.

The same trust rule as the risk layers (:mod:`ckanext.maemoh.risk.inputs`):
only public datasets of trusted publishers, their DataStore tables
recognised by their columns, read with the read-only database user. Rows:
hourly (``PT1H``) values of :data:`VARIABLES` that are not suspect, and the
fire detections that are not of low confidence, from ``days`` before the
issue time to the issue time.
"""
import pandas as pd

from ckanext.maemoh.risk import inputs as risk_inputs
from ckanext.maemoh.risk_jobs import hazards

VARIABLES = ("pm25", "pm10", "temperature", "relative-humidity", "wind-speed", "wind-direction", "rainfall")
HOURLY = "PT1H"


def load(issued_at, days):
    """``(Inputs, sources)`` for a forecast issued at ``issued_at`` (UTC)."""
    from ckanext.maemoh.forecast import Inputs  # LightGBM: imported where used

    start = issued_at - pd.Timedelta(days=days)
    end = issued_at + pd.Timedelta(seconds=1)  # rows stamped at the issue hour count
    datasets = risk_inputs.official_datasets()
    kinds = risk_inputs.table_kinds([r["id"] for d in datasets for r in d["resources"]
                                     if r.get("datastore_active")])
    observations, fires, sources = [], [], [risk_inputs.low_cost_source()]
    for dataset, resource, left_out in risk_inputs.observation_tables(datasets, kinds):
        rows = risk_inputs.read_observations(resource["id"], set(VARIABLES) - left_out, start, end)
        rows = rows[(rows["averaging_period"] == HOURLY) & (rows["quality"] != "suspect")]
        if len(rows):
            observations.append(rows[["station_id", "variable", "time_utc", "value"]])
            sources.append(risk_inputs.source("observations", dataset, resource,
                                              variables=sorted(rows["variable"].unique())))
    for dataset in datasets:
        for resource in dataset["resources"]:
            if kinds.get(resource["id"]) == "fire_detections":
                rows = risk_inputs.read_fire(resource["id"], start, end)
                rows = rows[~hazards.is_low_confidence(rows["confidence"])]
                if len(rows):
                    fires.append(rows[["time_utc", "latitude", "longitude", "frp_mw"]])
                    sources.append(risk_inputs.source("fire_detections", dataset, resource))
    stations = risk_inputs.stations(datasets)
    frame = (pd.concat(observations, ignore_index=True) if observations
             else pd.DataFrame(columns=["station_id", "variable", "time_utc", "value"]))
    frame["value"] = frame["value"].astype(float)
    measured = set(frame["station_id"])
    stations = stations[stations["station_id"].isin(measured)].drop_duplicates("station_id")
    detections = pd.concat(fires, ignore_index=True) if fires else None
    if detections is not None:
        detections["frp_mw"] = detections["frp_mw"].astype(float)
    return Inputs(observations=frame, stations=stations[["station_id", "latitude", "longitude"]]
                  .reset_index(drop=True), fires=detections), sources

