/* The risk-map view (maemoh_risk_map): the cells of a risk layer coloured by
   risk class, hazard level, LISA cluster or Gi* hot spot, over the tambon
   outlines, on a plain background or the configured base map.

   The data come compact from /maemoh/risk-map/<resource id>.json (see
   risk_map.py): H3 cells arrive as ids and their hexagons are computed here
   with h3-js; other cells (the "tambon" grid) arrive with their geometry.
   All cells are drawn on one canvas, colour by colour; the cell under
   the pointer is found with h3.latLngToCell (or by its polygon), so the map
   stays quick with tens of thousands of cells.

   The colours and the labels of each class are read from the page's legends
   (server-rendered, one per colouring), so the map and its legend cannot
   disagree. Every text from the data reaches the page as text: tooltips
   are elements built with textContent, and what Leaflet only takes as HTML
   (the attribution) is escaped first.

   For tests and bench/risk_map.py the map element carries data-ready,
   data-mode, data-drawn (JSON: cells per colour) and data-first-draw-ms
   (performance.now() at the first complete draw), performance marks
   ("maemoh-risk-map-data": the data parsed, "-shapes": the hexagons
   computed, "-drawn": on the canvas), and element.maemohRiskMap (the Leaflet map and the
   colour of the canvas at a cell's centre). */
(function () {
  "use strict";
  var element = document.getElementById("maemoh-risk-map");
  if (!element || !window.L || !window.h3 || !window.fetch) { return; }
  var root = element.closest(".maemoh-risk-map") || document;
  var lang = element.getAttribute("data-lang") === "en" ? "en" : "th";
  var PROPERTY = { risk: "risk_class", hazard: "hazard_level", lisa: "lisa_class", gi: "gi_class" };
  var MAX_LATITUDE = 85.0511287798;  // Leaflet's spherical Mercator
  var RAD = Math.PI / 180;
  // cells filled per path: one path of thousands of subpaths is many times
  // slower to build in Chromium than a fill every few dozen cells
  var CELLS_PER_PATH = 48;

  function attr(name) { return element.getAttribute(name) || ""; }
  function textElement(tag, value, className) {
    var node = document.createElement(tag);
    node.textContent = value === null || value === undefined ? "" : String(value);
    if (className) { node.className = className; }
    return node;
  }
  function escaped(value) { return textElement("span", value).innerHTML; }
  function number(value) {
    if (typeof value !== "number" || !isFinite(value)) { return ""; }
    var digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 1 ? 2 : 3;
    return value.toLocaleString(lang === "th" ? "th-TH" : "en-GB", { maximumFractionDigits: digits });
  }

  // ------------------------------------------------------------ the legends

  function legend(mode) {
    return root.querySelector('.maemoh-risk-map-legend[data-mode="' + mode + '"]');
  }
  /* code -> {colour, text, th, en} of a colouring, from its legend */
  function classes(mode) {
    var found = {};
    var section = legend(mode);
    if (!section) { return found; }
    Array.prototype.forEach.call(section.querySelectorAll("li[data-code]"), function (item) {
      var th = item.querySelector('[lang="th"]'), en = item.querySelector('[lang="en"]');
      found[item.getAttribute("data-code")] = {
        colour: item.getAttribute("data-colour"), text: item.getAttribute("data-text-colour"),
        th: th ? th.textContent : "", en: en ? en.textContent : ""
      };
    });
    return found;
  }
  var modes = Array.prototype.slice.call(root.querySelectorAll('input[name="maemoh-risk-map-mode"]'));
  var initial = modes.filter(function (input) { return input.checked && !input.disabled; })[0] ||
                modes.filter(function (input) { return !input.disabled; })[0];
  if (initial) { initial.checked = true; }
  var mode = initial ? initial.value : "risk";
  var palette = classes(mode);
  var noDataColour = attr("data-no-data-colour") || "#d9d9d9";

  function showLegend() {
    Object.keys(PROPERTY).forEach(function (key) {
      var section = legend(key);
      if (section) { section.hidden = key !== mode; }
    });
  }

  // ------------------------------------------------------------ the data

  /* Columns of the compact payload -> a reader of cell i's properties */
  function decode(payload) {
    var readers = {};
    payload.columns.forEach(function (column) {
      if (column.labels) {
        var labels = column.labels, index = column.index;
        readers[column.name] = function (i) { return labels[index[i]]; };
      } else {
        var values = column.values;
        readers[column.name] = function (i) { return values[i]; };
      }
    });
    return {
      count: payload.count, resolution: payload.h3_resolution, geometry: payload.geometry,
      has: function (name) { return Object.prototype.hasOwnProperty.call(readers, name); },
      get: function (name, i) { return readers[name] ? readers[name](i) : undefined; }
    };
  }

  /* longitude/latitude -> spherical Mercator pixels at zoom 0 (Leaflet's) */
  function projectX(lng) { return 256 * (0.5 + lng / 360); }
  function projectY(lat) {
    var sin = Math.sin(Math.max(Math.min(lat, MAX_LATITUDE), -MAX_LATITUDE) * RAD);
    return 256 * (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI));
  }

  /* Each cell's rings as flat [x0, y0, x1, y1, ...] at zoom 0, and the bounds */
  function shapes(data) {
    var rings = new Array(data.count), ids = {};
    var south = 90, north = -90, west = 180, east = -180;
    function extend(lat, lng) {
      if (lat < south) { south = lat; } if (lat > north) { north = lat; }
      if (lng < west) { west = lng; } if (lng > east) { east = lng; }
    }
    function ringOf(coordinates) {  // GeoJSON [lng, lat] positions
      var flat = new Float64Array(coordinates.length * 2);
      for (var k = 0; k < coordinates.length; k++) {
        extend(coordinates[k][1], coordinates[k][0]);
        flat[2 * k] = projectX(coordinates[k][0]);
        flat[2 * k + 1] = projectY(coordinates[k][1]);
      }
      return flat;
    }
    for (var i = 0; i < data.count; i++) {
      var geometry = data.geometry ? data.geometry[i] : null;
      if (geometry) {
        var polygons = geometry.type === "Polygon" ? [geometry.coordinates] :
                       geometry.type === "MultiPolygon" ? geometry.coordinates : [];
        rings[i] = [];
        polygons.forEach(function (polygon) { polygon.forEach(function (ring) { rings[i].push(ringOf(ring)); }); });
        continue;
      }
      var id = data.get("cell_id", i);
      ids[id] = i;
      var boundary = h3.cellToBoundary(id);  // [lat, lng] pairs
      var flat = new Float64Array(boundary.length * 2);
      for (var j = 0; j < boundary.length; j++) {
        extend(boundary[j][0], boundary[j][1]);
        flat[2 * j] = projectX(boundary[j][1]);
        flat[2 * j + 1] = projectY(boundary[j][0]);
      }
      rings[i] = [flat];
    }
    return { rings: rings, ids: ids, bounds: L.latLngBounds([south, west], [north, east]) };
  }

  function inside(rings, x, y) {  // even-odd rule over all rings of a cell
    var hit = false;
    rings.forEach(function (ring) {
      for (var a = 0, b = ring.length - 2; a < ring.length; b = a, a += 2) {
        if ((ring[a + 1] > y) !== (ring[b + 1] > y) &&
            x < (ring[b] - ring[a]) * (y - ring[a + 1]) / (ring[b + 1] - ring[a + 1]) + ring[a]) { hit = !hit; }
      }
    });
    return hit;
  }

  // ------------------------------------------------------------ the map

  var map = L.map(element, { scrollWheelZoom: false, zoomSnap: 0.25, attributionControl: true });
  map.createPane("maemohCells").style.zIndex = 350;  // above tiles (200), below outlines (400)
  map.attributionControl.addAttribution(escaped(attr("data-attribution")));
  if (attr("data-tile-url")) {
    // the cells never wait for the tiles: unreachable tiles leave the plain background
    L.tileLayer(attr("data-tile-url"), { attribution: escaped(attr("data-tile-attribution")) }).addTo(map);
  }
  map.fitBounds([[18.16, 99.58], [18.62, 100.06]]);  // Mae Moh, until the cells say better

  var Cells = L.Layer.extend({
    initialize: function (data, geometry) { this._data = data; this._geometry = geometry; },
    onAdd: function (map) {
      this._canvas = L.DomUtil.create("canvas", "maemoh-risk-cells leaflet-zoom-hide");
      map.getPane("maemohCells").appendChild(this._canvas);
      map.on("moveend zoomend resize viewreset", this.redraw, this);
      this.redraw();
    },
    onRemove: function (map) {
      map.off("moveend zoomend resize viewreset", this.redraw, this);
      L.DomUtil.remove(this._canvas);
    },
    colourOf: function (i) {
      var value = this._data.get(PROPERTY[mode], i);
      var found = palette[value === null || value === undefined ? "" : String(value)];
      if (!found && mode !== "risk" && mode !== "hazard") { found = palette["no data"]; }
      return found ? found.colour : noDataColour;
    },
    redraw: function () {
      var map = this._map, canvas = this._canvas;
      var size = map.getSize(), ratio = window.devicePixelRatio || 1;
      var topLeft = map.containerPointToLayerPoint([0, 0]);
      L.DomUtil.setPosition(canvas, topLeft);
      canvas.width = Math.round(size.x * ratio);
      canvas.height = Math.round(size.y * ratio);
      canvas.style.width = size.x + "px";
      canvas.style.height = size.y + "px";
      var context = canvas.getContext("2d");
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      var scale = Math.pow(2, map.getZoom()), origin = map.getPixelOrigin();
      var dx = origin.x + topLeft.x, dy = origin.y + topLeft.y;
      var groups = {}, drawn = {}, rings = this._geometry.rings;
      for (var i = 0; i < this._data.count; i++) {
        var colour = this.colourOf(i);
        (groups[colour] || (groups[colour] = [])).push(i);
      }
      Object.keys(groups).forEach(function (colour) {
        context.fillStyle = colour;
        context.beginPath();
        groups[colour].forEach(function (cell, n) {
          rings[cell].forEach(function (ring) {
            context.moveTo(ring[0] * scale - dx, ring[1] * scale - dy);
            for (var k = 2; k < ring.length; k += 2) { context.lineTo(ring[k] * scale - dx, ring[k + 1] * scale - dy); }
            context.closePath();
          });
          if ((n + 1) % CELLS_PER_PATH === 0) { context.fill("evenodd"); context.beginPath(); }
        });
        context.fill("evenodd");
        drawn[colour] = groups[colour].length;
      });
      element.setAttribute("data-mode", mode);
      element.setAttribute("data-drawn", JSON.stringify(drawn));
    },
    /* the cell under a point, or -1 */
    cellAt: function (latlng) {
      var data = this._data, geometry = this._geometry, found;
      if (data.resolution !== null && data.resolution !== undefined) {
        found = geometry.ids[h3.latLngToCell(latlng.lat, latlng.lng, data.resolution)];
        return found === undefined ? -1 : found;
      }
      var x = projectX(latlng.lng), y = projectY(latlng.lat);
      for (var i = 0; i < data.count; i++) {
        var id = data.geometry && data.geometry[i] ? null : data.get("cell_id", i);
        if (id !== null) {
          if (h3.latLngToCell(latlng.lat, latlng.lng, h3.getResolution(id)) === id) { return i; }
        } else if (inside(geometry.rings[i], x, y)) { return i; }
      }
      return -1;
    }
  });

  // ------------------------------------------------------------ tooltips (text only)

  function badge(mode, value) {
    var found = classes(mode)[value === null || value === undefined ? "" : String(value)];
    if (!found && (mode === "lisa" || mode === "gi")) { found = classes(mode)["no data"]; }
    var span = textElement("span", found ? found[lang] : "", "maemoh-risk-map-badge");
    if (found) { span.style.background = found.colour; span.style.color = found.text; }
    return span;
  }
  function line(label, parts) {
    var div = document.createElement("div");
    div.appendChild(document.createTextNode(label + ": "));
    parts.forEach(function (part) {
      div.appendChild(typeof part === "string" ? document.createTextNode(part) : part);
    });
    return div;
  }
  function tooltipContent(data, i) {
    var box = document.createElement("div");
    var name = data.get("name_" + lang, i) || data.get("name_th", i) || "";
    var code = data.get("tambon_code", i);
    box.appendChild(textElement("strong", name + (code && name ? " (" + code + ")" : code || "")));
    if (data.has("risk_class")) {
      box.appendChild(line(attr("data-label-risk"), [badge("risk", data.get("risk_class", i)),
        data.has("risk") && data.get("risk", i) !== null ? " " + number(data.get("risk", i)) : ""]));
    }
    if (data.has("hazard_level")) {
      box.appendChild(line(attr("data-label-hazard"), [badge("hazard", data.get("hazard_level", i))]));
    }
    if (data.has("value") && data.get("value", i) !== null) {
      var value = number(data.get("value", i));
      if (data.has("uncertainty") && data.get("uncertainty", i) !== null) {
        value += " ± " + number(data.get("uncertainty", i));
      }
      box.appendChild(line(attr("data-label-value"), [value]));
    }
    if (data.has("lisa_class")) { box.appendChild(line(attr("data-label-lisa"), [badge("lisa", data.get("lisa_class", i))])); }
    if (data.has("gi_class")) { box.appendChild(line(attr("data-label-gi"), [badge("gi", data.get("gi_class", i))])); }
    return box;
  }

  // ------------------------------------------------------------ loading

  function failed() {
    element.setAttribute("data-ready", "error");
    var message = textElement("p", attr("data-label-error"), "maemoh-risk-map-error");
    element.parentNode.insertBefore(message, element.nextSibling);
  }

  var outlines = fetch(attr("data-tambons"), { credentials: "same-origin" })
    .then(function (response) { return response.ok ? response.json() : null; })
    .catch(function () { return null; });

  fetch(attr("data-src"), { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    })
    .then(function (payload) {
      if (performance.mark) { performance.mark("maemoh-risk-map-data"); }
      var data = decode(payload);
      var geometry = shapes(data);
      if (performance.mark) { performance.mark("maemoh-risk-map-shapes"); }
      var cells = new Cells(data, geometry);
      if (geometry.bounds.isValid()) { map.fitBounds(geometry.bounds, { animate: false }); }
      cells.addTo(map);
      showLegend();
      var now = performance.now();
      if (performance.mark) { performance.mark("maemoh-risk-map-drawn"); }
      element.setAttribute("data-first-draw-ms", String(Math.round(now)));
      element.setAttribute("data-cells", String(data.count));
      element.setAttribute("data-ready", "true");

      var tooltip = L.tooltip({ direction: "top", offset: [0, -8], className: "maemoh-risk-map-tooltip", opacity: 1 });
      var shown = -1;
      function point(event) {
        var i = cells.cellAt(event.latlng);
        if (i < 0) { map.closeTooltip(tooltip); shown = -1; return; }
        if (i !== shown) { tooltip.setContent(tooltipContent(data, i)); shown = i; }
        tooltip.setLatLng(event.latlng);
        if (!map.hasLayer(tooltip)) { map.openTooltip(tooltip); }
      }
      map.on("mousemove click", point);
      map.on("mouseout", function () { map.closeTooltip(tooltip); shown = -1; });

      modes.forEach(function (input) {
        input.addEventListener("change", function () {
          if (!input.checked) { return; }
          mode = input.value;
          palette = classes(mode);
          showLegend();
          shown = -1;
          cells.redraw();
        });
      });

      element.maemohRiskMap = {
        map: map,
        /* "#rrggbb" of the canvas at the centre of H3 cell `id` */
        colourAt: function (id) {
          var centre = h3.cellToLatLng(id);
          var p = map.latLngToContainerPoint([centre[0], centre[1]]);
          var ratio = window.devicePixelRatio || 1;
          var pixel = cells._canvas.getContext("2d").getImageData(
            Math.round(p.x * ratio), Math.round(p.y * ratio), 1, 1).data;
          return "#" + [pixel[0], pixel[1], pixel[2]].map(function (c) {
            return (c < 16 ? "0" : "") + c.toString(16);
          }).join("");
        }
      };
      return outlines;
    })
    .then(function (tambons) {
      if (!tambons) { return; }
      L.geoJSON(tambons, {
        interactive: false,
        style: function () { return { className: "maemoh-risk-map-outline-halo", weight: 4, fill: false }; }
      }).addTo(map);
      L.geoJSON(tambons, {
        interactive: false,
        style: function () { return { className: "maemoh-risk-map-outline", weight: 1.5, fill: false }; },
        onEachFeature: function (feature, layer) {
          var p = feature.properties;
          layer.bindTooltip(textElement("span", p["name_" + lang] || p.name_th), {
            permanent: true, direction: "center", className: "maemoh-risk-map-label", interactive: false
          });
        }
      }).addTo(map);
      element.setAttribute("data-outlines", "true");
    })
    .catch(failed);
}());
