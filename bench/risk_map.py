"""Benchmark: the risk-map view's delivery of a 10 000-cell layer — bytes to
the browser and time to the first draw in headless Chromium.

* The layer: exactly ``--cells`` H3 resolution-9 cells over the real tambons
  of Mae Moh (9 382 cover the district; rings around it make up the rest),
  with every property of the risk-layer contract, LISA and Gi* classes
  included (``ckanext.maemoh.tests.risk_layers``, seed 1).
* Bytes: the full GeoJSON as ``risk_publish`` writes it (the download, and
  what ckanext-geoview's ``geojson_view`` would fetch) against the compact
  data the view fetches (``risk_map.compact``, what
  ``/maemoh/risk-map/<id>.json`` sends), each also gzipped (what a server
  compressing JSON would send; ``ckan run`` does not compress).
* Time: a page carrying the view's own assets — Leaflet of ckanext-spatial,
  the h3-js bundle that ``make install`` copies, ``assets/risk_map.js`` and
  ``risk_map.css`` — and the same map element, switches and legends as
  ``templates/maemoh/risk_map_view.html`` (built here from
  ``risk_map.summary``), served with the data from a local HTTP server on
  127.0.0.1 (no CKAN: the figures are the view's, not CKAN's page
  rendering). Each run opens a fresh browser context (nothing cached) on a
  360 × 740 viewport and reads ``data-first-draw-ms`` (performance.now() at
  the first complete draw, counted from the navigation's start) and, from
  the Resource Timing API, when the data had arrived; "draw" is the time
  from then to the first draw (decoding, 10 000 hexagons from h3-js,
  drawing). Bytes transferred are the response bodies of all the page's
  requests (Playwright's ``request.sizes()``).
* Baseline in the same run: the same page drawing the full GeoJSON with
  Leaflet's ``L.geoJSON`` (one SVG path per cell), as ``geojson_view`` does.

Targets (issue 12): the layer reaches the browser in <= 2 MB; the map is
drawn in <= 1 s.

    .venv/bin/python bench/risk_map.py [--cells 10000] [--repeats 5]

Needs `make install` (the h3-js bundle) and Debian's chromium (as the
browser tests do; never `playwright install`).
"""
import argparse
import gzip
import html
import http.server
import json
import os
import pathlib
import shutil
import statistics
import threading
import time

import ckanext.spatial
from playwright.sync_api import sync_playwright

from ckanext.maemoh.risk import map_view as risk_map
from ckanext.maemoh.tests import risk_layers

RESOLUTION = 9
ASSETS = pathlib.Path(risk_map.__file__).resolve().parent / "assets"
LEAFLET = next(pathlib.Path(ckanext.spatial.__file__).parent.glob("assets/js/vendor/leaflet/*/leaflet.js")).parent
VIEWPORT = {"width": 360, "height": 740}
TARGET_BYTES = 2_000_000
TARGET_SECONDS = 1.0
MB = 1e6
#: the frame after the draw has been painted: two animation frames after data-ready
PAINT_JS = """
new MutationObserver(function (changes, observer) {
  var element = document.getElementById("maemoh-risk-map");
  if (element.getAttribute("data-ready") !== "true") { return; }
  observer.disconnect();
  requestAnimationFrame(function () { requestAnimationFrame(function () {
    element.setAttribute("data-painted-ms", String(Math.round(performance.now())));
  }); });
}).observe(document.getElementById("maemoh-risk-map"), { attributes: true });
"""
BASELINE_JS = """
(function () {
  var element = document.getElementById("maemoh-risk-map");
  var map = L.map(element);
  fetch(element.getAttribute("data-src")).then(function (r) { return r.json(); }).then(function (geojson) {
    var layer = L.geoJSON(geojson, { style: function (f) {
      return { fillColor: f.properties.colour, fillOpacity: 1, weight: 0 }; } }).addTo(map);
    map.fitBounds(layer.getBounds(), { animate: false });
    requestAnimationFrame(function () {
      element.setAttribute("data-first-draw-ms", String(Math.round(performance.now())));
      element.setAttribute("data-ready", "true");
    });
  });
}());
"""


def page_html(summary, data_url, script):
    """The view's markup (as risk_map_view.html renders it, Thai) around ``script``."""
    legends = []
    for mode in summary["modes"]:
        if not mode["available"]:
            continue
        items = "".join(
            f'<li data-code="{html.escape(i["code"])}" data-colour="{i["colour"]}" '
            f'data-text-colour="{i["text_colour"]}"><span class="maemoh-risk-map-swatch" '
            f'style="background: {i["colour"]}" aria-hidden="true"></span><span class="maemoh-risk-map-label-text">'
            f'<span lang="th">{html.escape(i["label_th"])}</span> · <span lang="en">{html.escape(i["label_en"])}'
            f'</span></span><span class="maemoh-risk-map-count">{i["count"]} พื้นที่</span></li>'
            for i in summary["legends"][mode["key"]])
        legends.append(f'<section class="maemoh-risk-map-legend" data-mode="{mode["key"]}"><h2>{mode["key"]}</h2>'
                       f'<ul>{items}</ul></section>')
    modes = "".join(
        f'<div class="maemoh-risk-map-mode"><input type="radio" name="maemoh-risk-map-mode" id="m-{m["key"]}" '
        f'value="{m["key"]}"{" checked" if m["key"] == "risk" else ""}><label for="m-{m["key"]}">{m["key"]}</label></div>'
        for m in summary["modes"])
    return f"""<!DOCTYPE html><html lang="th"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0"><title>risk map bench</title>
<link rel="stylesheet" href="/leaflet/leaflet.css"><link rel="stylesheet" href="/assets/risk_map.css"></head>
<body><main class="maemoh-risk-map" lang="th"><h1>bench</h1>
<div id="maemoh-risk-map" class="maemoh-risk-map-canvas" data-src="{data_url}" data-tambons="/tambons.geojson"
 data-lang="th" data-tile-url="" data-tile-attribution="" data-no-data-colour="#d9d9d9" data-attribution="bench"
 data-label-risk="ความเสี่ยง" data-label-hazard="ภัย" data-label-value="ค่า" data-label-uncertainty="ความไม่แน่นอน"
 data-label-lisa="LISA" data-label-gi="Gi*" data-label-error="error"></div>
<fieldset class="maemoh-risk-map-modes"><legend>ระบายสีช่องตาม</legend>{modes}</fieldset>
{"".join(legends)}</main>
<script>{PAINT_JS}</script><script src="/leaflet/leaflet.js"></script>{script}</body></html>"""


def serve(files):
    """A threaded HTTP server on 127.0.0.1 answering ``files`` (path -> (bytes, type))."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body, kind = files.get(self.path.split("?")[0], (None, None))
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def measure(browser, url, data_path):
    context = browser.new_context(viewport=VIEWPORT, locale="th-TH")
    page = context.new_page()
    requests = []
    page.on("requestfinished", lambda request: requests.append(request))
    page.goto(url)
    page.wait_for_selector("#maemoh-risk-map[data-painted-ms]", state="attached", timeout=120_000)
    first_draw = float(page.get_attribute("#maemoh-risk-map", "data-first-draw-ms"))
    painted = float(page.get_attribute("#maemoh-risk-map", "data-painted-ms"))
    data_end = page.evaluate("p => performance.getEntriesByType('resource').find(e => "
                             "new URL(e.name).pathname === p).responseEnd", data_path)
    marks = page.evaluate("() => Object.fromEntries(performance.getEntriesByType('mark').map(m => [m.name, m.startTime]))")
    sizes = {r.url.split("?")[0].split("/", 3)[-1]: r.sizes()["responseBodySize"] for r in requests}
    context.close()
    return {"first_draw_ms": first_draw, "painted_ms": painted, "data_arrived_ms": data_end,
            "draw_ms": painted - data_end,
            "parse_ms": marks.get("maemoh-risk-map-data", data_end) - data_end,
            "shapes_ms": marks.get("maemoh-risk-map-shapes", 0) - marks.get("maemoh-risk-map-data", 0),
            "canvas_ms": marks.get("maemoh-risk-map-drawn", 0) - marks.get("maemoh-risk-map-shapes", 0),
            "bytes": sum(sizes.values()), "data_bytes": sizes.get(data_path.lstrip("/"), 0)}


def chromium():
    found = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.access(found, os.X_OK):
        raise SystemExit("needs Debian's chromium (deploy/install-system-packages.sh)")
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cells", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    h3_bundle = ASSETS / "vendor" / "h3-js" / "h3-js.umd.js"
    if not h3_bundle.exists():
        raise SystemExit(f"{h3_bundle} is missing: run `make install`")

    started = time.perf_counter()
    geojson, _gdf = risk_layers.h3_geojson(RESOLUTION, exactly=args.cells, local=True)
    built = time.perf_counter() - started
    full = json.dumps(geojson, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    t0 = time.perf_counter()
    compact = risk_map.encode(risk_map.compact(geojson))
    compact_s = time.perf_counter() - t0
    summary = risk_map.summary(geojson)
    print(__doc__.split("\n")[0])
    print(f"cpus: {os.cpu_count()}; {len(geojson['features']):,} H3 cells at resolution {RESOLUTION} "
          f"(layer built in {built:.1f} s); chromium {chromium()}; {args.repeats} runs each, fresh contexts")

    script = '<script src="/assets/vendor/h3-js/h3-js.umd.js"></script><script src="/assets/risk_map.js"></script>'
    files = {
        "/view": (page_html(summary, "/data.json", script).encode(), "text/html; charset=utf-8"),
        "/baseline": (page_html(summary, "/full.geojson", f"<script>{BASELINE_JS}</script>").encode(),
                      "text/html; charset=utf-8"),
        "/data.json": (compact, "application/json"),
        "/full.geojson": (full, "application/geo+json"),
        "/tambons.geojson": (risk_map.tambon_outlines(), "application/geo+json"),
        "/leaflet/leaflet.js": ((LEAFLET / "leaflet.js").read_bytes(), "text/javascript"),
        "/leaflet/leaflet.css": ((LEAFLET / "leaflet.css").read_bytes(), "text/css"),
        "/assets/risk_map.js": ((ASSETS / "risk_map.js").read_bytes(), "text/javascript"),
        "/assets/risk_map.css": ((ASSETS / "risk_map.css").read_bytes(), "text/css"),
        "/assets/vendor/h3-js/h3-js.umd.js": (h3_bundle.read_bytes(), "text/javascript"),
    }
    server = serve(files)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    results = {"view": [], "baseline": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), headless=True, args=["--no-sandbox"])
        measure(browser, f"{base}/view", "/data.json")  # warm the OS's file cache and the browser process
        for _ in range(args.repeats):
            results["view"].append(measure(browser, f"{base}/view", "/data.json"))
            results["baseline"].append(measure(browser, f"{base}/baseline", "/full.geojson"))
        browser.close()
    server.shutdown()

    print("\n== bytes (MB = 10^6 bytes)")
    print(f"  {'':44}{'raw':>10}{'gzip':>10}")
    print(f"  {'full GeoJSON (download, geojson_view)':44}{len(full) / MB:10.3f}{len(gzip.compress(full)) / MB:10.3f}")
    print(f"  {'compact data of the view':44}{len(compact) / MB:10.3f}{len(gzip.compress(compact)) / MB:10.3f}")
    print(f"  compact / full: {len(compact) / len(full):.1%} raw, "
          f"{len(gzip.compress(compact)) / len(gzip.compress(full)):.1%} gzipped; "
          f"compact built in {compact_s * 1000:.0f} ms (server side, once per layer version)")
    view_bytes = statistics.median(r["bytes"] for r in results["view"])
    print(f"  everything the view's page fetched (HTML, Leaflet, h3-js, script, CSS, data, outlines): "
          f"{view_bytes / MB:.3f} MB; in CKAN, CKAN's own base JS comes on top")

    print("\n== time in headless Chromium, ms from the navigation's start (median, min-max)")
    print("  data arrived: the data's responseEnd; drawn: the script's draw done; painted: the frame after it")
    print(f"  {'':36}{'data arrived':>17}{'drawn':>17}{'painted':>17}{'painted - data':>17}")
    for name, label in (("view", "risk-map view (compact + h3-js)"), ("baseline", "baseline: L.geoJSON of the GeoJSON")):
        cells = []
        for key in ("data_arrived_ms", "first_draw_ms", "painted_ms", "draw_ms"):
            values = [r[key] for r in results[name]]
            cells.append(f"{statistics.median(values):5.0f} ({min(values):.0f}-{max(values):.0f})")
        print(f"  {label:36}" + "".join(f"{c:>17}" for c in cells))
    view = results["view"]
    print("  the view's draw, after the data arrived: parse "
          + ", ".join(f"{name} {statistics.median(r[key] for r in view):.0f}"
                      for name, key in (("parse", "parse_ms"), ("hexagons (h3-js)", "shapes_ms"),
                                        ("canvas and map", "canvas_ms")))[len("parse "):] + " ms (medians)")

    first = statistics.median(r["painted_ms"] for r in results["view"]) / 1000
    print(f"\ntargets: data <= {TARGET_BYTES / MB:.0f} MB: {len(compact) / MB:.2f} MB "
          f"({'met' if len(compact) <= TARGET_BYTES else 'MISSED'}); first draw <= {TARGET_SECONDS:.0f} s: "
          f"{first:.2f} s ({'met' if first <= TARGET_SECONDS else 'MISSED'})")
    print(f"total wall time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
