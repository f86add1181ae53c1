/* The report form's place: a tap on the map (the tambon outlines, no base
   tiles) or the phone's location fills the latitude and longitude fields,
   which stay editable and are what the form sends. The form works without
   it. Text from the data reaches the page only as text. */
(function () {
  "use strict";
  var element = document.getElementById("maemoh-report-map");
  var latitude = document.getElementById("field-latitude");
  var longitude = document.getElementById("field-longitude");
  var locate = document.getElementById("maemoh-locate");
  var status = document.getElementById("maemoh-locate-status");
  if (!element || !latitude || !longitude) { return; }

  var map = null, marker = null;

  function place(lat, lng, pan) {
    latitude.value = lat.toFixed(5);
    longitude.value = lng.toFixed(5);
    if (!map) { return; }
    if (marker) { marker.setLatLng([lat, lng]); } else { marker = L.marker([lat, lng], { keyboard: false }).addTo(map); }
    if (pan) { map.panTo([lat, lng]); }
  }

  if (window.L && window.fetch) {
    var span = document.createElement("span");
    span.textContent = element.getAttribute("data-attribution");
    map = L.map(element, { scrollWheelZoom: false });
    map.attributionControl.addAttribution(span.innerHTML);
    fetch(element.getAttribute("data-src"))
      .then(function (response) { return response.json(); })
      .then(function (layers) {
        var outlines = L.geoJSON(layers.tambons, {
          style: function () { return { color: "#333", weight: 1.5, fillColor: "#9ecae1", fillOpacity: 0.35 }; }
        }).addTo(map);
        map.fitBounds(outlines.getBounds());
        var lat = parseFloat(latitude.value), lng = parseFloat(longitude.value);
        if (isFinite(lat) && isFinite(lng)) { place(lat, lng, false); }
      });
    map.on("click", function (event) { place(event.latlng.lat, event.latlng.lng, false); });
    [latitude, longitude].forEach(function (input) {
      input.addEventListener("change", function () {
        var lat = parseFloat(latitude.value), lng = parseFloat(longitude.value);
        if (isFinite(lat) && isFinite(lng)) { place(lat, lng, true); }
      });
    });
  } else {
    element.hidden = true;
  }

  if (locate && navigator.geolocation) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      status.textContent = "";
      navigator.geolocation.getCurrentPosition(function (position) {
        place(position.coords.latitude, position.coords.longitude, true);
      }, function () {
        status.textContent = locate.getAttribute("data-failed");
      }, { enableHighAccuracy: true, timeout: 15000 });
    });
  }
}());
