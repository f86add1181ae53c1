/* The residents' map: tambons coloured by their current AQI band (or, by
   choice, by their highest air-risk class), stations by their band, fire
   detections of the last 48 hours, and the H3 cells of residents' approved
   reports of the last 30 days (a layer of its own); no base tiles (the tambon outlines are
   the map). The page reads fine without it.
   Every text from the data (station names, labels) reaches the page as
   text, never as HTML: tooltips get elements built with textContent, and
   what Leaflet only takes as HTML (attribution, layer names) is escaped. */
(function () {
  "use strict";
  var element = document.getElementById("maemoh-map");
  if (!element || !window.L || !window.fetch) { return; }

  function textElement(value) {
    var span = document.createElement("span");
    span.textContent = String(value);
    return span;
  }
  function escaped(value) {
    return textElement(value).innerHTML;
  }

  var map = L.map(element, { scrollWheelZoom: false, attributionControl: true });
  map.attributionControl.addAttribution(escaped(element.getAttribute("data-attribution")));
  fetch(element.getAttribute("data-src"))
    .then(function (response) { return response.json(); })
    .then(function (layers) {
      function tambonLayer(colourOf, labelOf) {
        return L.geoJSON(layers.tambons, {
          style: function (feature) {
            return { color: "#333", weight: 1.5, fillColor: colourOf(feature.properties), fillOpacity: 0.65,
                     className: "maemoh-tambon" };
          },
          onEachFeature: function (feature, layer) {
            var p = feature.properties;
            layer.bindTooltip(textElement(p.name + ": " + labelOf(p)), { sticky: true });
            layer.on("click", function () { window.location.href = p.url; });
          }
        });
      }
      var tambons = tambonLayer(function (p) { return p.colour; }, function (p) {
        return p.band_name + (p.aqi !== null ? " (AQI " + p.aqi + ")" : "");
      }).addTo(map);
      var risk = tambonLayer(function (p) { return p.risk_colour; }, function (p) {
        return p.risk_label || element.getAttribute("data-no-data");
      });
      var choices = {};
      choices[escaped(element.getAttribute("data-aqi-label"))] = tambons;
      choices[escaped(element.getAttribute("data-risk-label"))] = risk;
      var reportsLabel = element.getAttribute("data-reports-label");
      var reports = L.geoJSON(layers.reports, {
        style: function () {
          return { color: "#4a148c", weight: 2, dashArray: "4 3", fillColor: "#ce93d8", fillOpacity: 0.45,
                   className: "maemoh-report-cell" };
        },
        onEachFeature: function (feature, layer) {
          var p = feature.properties;
          layer.bindTooltip(textElement(reportsLabel + ": " + p.categories.join(", ") + " (" + p.reports + "), "
                                        + p.latest_local), { sticky: true });
        }
      }).addTo(map);
      var overlays = {};
      overlays[escaped(reportsLabel)] = reports;
      L.control.layers(choices, overlays, { collapsed: false }).addTo(map);
      L.geoJSON(layers.stations, {
        pointToLayer: function (feature, latlng) {
          var p = feature.properties;
          return L.circleMarker(latlng, { radius: 8, color: "#000", weight: 2, fillColor: p.colour,
                                          fillOpacity: 1, className: "maemoh-station" })
            .bindTooltip(textElement(p.name + ": " + p.band_name + (p.aqi !== null ? " (AQI " + p.aqi + ")" : "")));
        }
      }).addTo(map);
      L.geoJSON(layers.fires, {
        pointToLayer: function (feature, latlng) {
          return L.circleMarker(latlng, { radius: 4, color: "#7f0000", weight: 1, fillColor: "#ff3d00",
                                          fillOpacity: 1, className: "maemoh-fire" })
            .bindTooltip(textElement(feature.properties.time_local));
        }
      }).addTo(map);
      map.fitBounds(tambons.getBounds());
      element.setAttribute("data-ready", "true");
    });
}());
