"""What the risk layers claim, before and after issue 12, on the demo's data.

The demo replay's FIRMS detections (VIIRS SNPP, 7 days to ``--end``), an
AQI surface interpolated from the Air4Thai stations (seeded values) and a
narrow heat-index field are put on the real H3 grid of Mae Moh
(``--grid``, default h3:8) and classed two ways in the same run:

* **baseline** — esda 2.9 as the layers used it before: ``p_sim`` of
  ``Moran_Local``/``G_Local`` at 0.05 without FDR (ties counted by esda's
  rule), on every dimension, hazards min–max normalised within the run;
* **now** — :func:`.statistics.local_statistics` (ties counted, units equal
  to their neighbours "no variation", FDR on), only where the units carry
  independent evidence, hazards on fixed scales.

Printed: significant LISA and Gi* cells, global Moran's I, and how many
"Very high" heat cells a 0.1 °C spread of the heat index makes.

    .venv/bin/python bench/risk_truth.py [--end 2026-03-10T07:00:00Z] [--grid h3:8]
"""
import argparse
import datetime
import importlib.util
import io
import pathlib
import warnings
from importlib.resources import files

import esda
import geopandas as gpd
import numpy as np
import pandas as pd

from ckanext.maemoh.risk_jobs import composite, dimensions, hazards, pipeline, statistics

REPO = pathlib.Path(__file__).resolve().parents[1]
BBOX = (99.62, 18.19, 100.06, 18.63)
DATA = files("ckanext.maemoh") / "data"


def replay():
    spec = importlib.util.spec_from_file_location("replay_sources", REPO / "deploy/demo/replay_sources.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def detections(end):
    _, _, body = replay().firms(None, "/api/area/csv/key/VIIRS_SNPP_NRT/%s/7" % ",".join(map(str, BBOX)), end)
    table = pd.read_csv(io.StringIO(body.decode()))
    hhmm = table["acq_time"].astype(str).str.zfill(4)
    table["time_utc"] = pd.to_datetime(table["acq_date"] + "T" + hhmm.str[:2] + ":" + hhmm.str[2:] + "Z")
    return table.rename(columns={"frp": "frp_mw"})[["time_utc", "latitude", "longitude", "frp_mw", "confidence"]]


def baseline_counts(values, w, permutations, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lisa = esda.Moran_Local(values.to_numpy(), w, transformation="r", permutations=permutations,
                                n_jobs=1, keep_simulations=False, seed=seed)
        gi = esda.G_Local(values.to_numpy(), w, transform="R", star=True, permutations=permutations,
                          n_jobs=1, keep_simulations=False, seed=seed)
    return int((lisa.p_sim <= 0.05).sum()), int((gi.p_sim <= 0.05).sum())


def now_counts(values, w, permutations, seed):
    local = statistics.local_statistics(values, w, permutations, seed)
    lisa = int(local["lisa_class"].isin(["HH", "LH", "LL", "HL"]).sum())
    gi = int(local["gi_class"].str.startswith(("hot", "cold")).sum())
    return lisa, gi, len(local.attrs["no_variation"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--end", default="2026-03-10T07:00:00Z")
    parser.add_argument("--grid", default="h3:8")
    parser.add_argument("--permutations", type=int, default=999)
    args = parser.parse_args()
    end = datetime.datetime.fromisoformat(args.end.replace("Z", "+00:00"))
    tambons = gpd.read_file(str(DATA / "maemoh_tambons.geojson"))[["tambon_code", "name_th", "name_en", "geometry"]]
    population = pd.read_csv(DATA / "population_2024.csv", dtype={"tambon_code": str})[["tambon_code", "population"]]
    params = pipeline.Parameters(grid=args.grid, end=end, permutations=args.permutations)
    units = pipeline.spatial_units(pipeline.Inputs(tambons=tambons, population=population), params)
    start = pd.Timestamp(end) - pd.Timedelta(days=7)
    fire = hazards.fire_hazard(detections(end), units.cells, start, pd.Timestamp(end)).hazard
    seed = statistics.SEED
    print(f"grid {args.grid}: {len(units.cells)} cells; fire window {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC")
    print(f"fire: {int((fire > 0).sum())} cells with detections, {int((fire == 0).sum())} without")
    b_lisa, b_gi = baseline_counts(fire, units.w, args.permutations, seed)
    n_lisa, n_gi, flat = now_counts(fire, units.w, args.permutations, seed)
    moran = statistics.global_moran(fire, units.w, args.permutations, seed)
    print(f"  significant LISA cells: baseline {b_lisa}, now {n_lisa}")
    print(f"  significant Gi* cells:  baseline {b_gi}, now {n_gi}")
    print(f"  'no variation' (not tested): {flat}; global Moran's I {moran.I:.4f} (p = {moran.p_sim:.3f})")

    # air: an inverse-distance surface from the nine stations of the demo, AQI 60-160
    stations = pd.read_csv(DATA / "air4thai_stations.csv").rename(columns={"lat": "latitude", "lon": "longitude"})
    rng = np.random.default_rng(1)
    stations["aqi"] = rng.uniform(60, 160, len(stations))
    surface = hazards.station_hazard("air", stations, units.cells, "aqi").hazard
    b_lisa, b_gi = baseline_counts(surface, units.w, args.permutations, seed)
    moran = statistics.global_moran(surface, units.w, args.permutations, seed)
    local, why = dimensions.get("air").local_statistics(params.spatial_unit)
    print(f"air surface from {len(stations)} stations: Moran's I {moran.I:.3f}; "
          f"baseline calls {b_lisa} LISA / {b_gi} Gi* cells significant; now: none computed ({why[:60]}...)")

    # heat: a 0.1 degree spread of the heat index
    heat = pd.Series(np.linspace(33.81, 33.91, len(units.cells)), index=fire.index)
    span = heat.max() - heat.min()
    relative = composite.classify(((heat - heat.min()) / span).clip(0, 1))
    fixed = dimensions.get("heat").scale.level(heat)
    print(f"heat index 33.81-33.91 C: baseline (min-max) {int((relative == 5).sum())} cells in the top class; "
          f"now every cell in level {sorted(set(int(k) for k in fixed))} "
          f"({dimensions.get('heat').scale.labels_en[int(fixed.iloc[0]) - 1]})")


if __name__ == "__main__":
    main()
