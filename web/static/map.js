// A commissioner's visits and enterprises on a Leaflet map (Leaflet ships in /static/leaflet).
// Tiles come from the map element's data-tiles (TEPAI_MAP_TILES); without them the points are
// drawn on a plain background with the counties' names, so an offline intranet still sees them.
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || typeof L === "undefined") { return; }
  var data = JSON.parse(el.getAttribute("data-map") || "{}");
  var map = L.map(el, { attributionControl: !!el.dataset.tiles, zoomSnap: 0.25 });
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 18, attribution: el.dataset.attribution || "" }).addTo(map);
  }
  var bounds = [];
  var counties = {};
  (data.sites || []).forEach(function (s) {
    bounds.push([s.lat, s.lon]);
    L.circleMarker([s.lat, s.lon], { radius: 7, color: "#1f4e79", fillColor: "#1f4e79", fillOpacity: 0.9, weight: 1 })
      .bindTooltip(s.name, { permanent: !el.dataset.tiles, direction: "right", className: "site-label" }).addTo(map);
    if (s.county) {
      var c = counties[s.county] || (counties[s.county] = { lat: 0, lon: 0, n: 0 });
      c.lat += s.lat; c.lon += s.lon; c.n += 1;
    }
  });
  (data.points || []).forEach(function (p) {
    bounds.push([p.lat, p.lon]);
    L.circleMarker([p.lat, p.lon], { radius: 4, color: p.flagged ? "#c0392b" : "#27ae60", fillOpacity: 0.8, weight: 1 })
      .bindTooltip("#" + p.id + " " + p.date).on("click", function () { window.location.href = "/visits/" + p.id; })
      .addTo(map);
  });
  if (!el.dataset.tiles) {
    Object.keys(counties).forEach(function (name) {
      var c = counties[name];
      L.marker([c.lat / c.n, c.lon / c.n], { icon: L.divIcon({ className: "county-label", html: "", iconSize: null }),
        interactive: false }).bindTooltip(name, { permanent: true, direction: "top", className: "county-label" }).addTo(map);
    });
  }
  if (bounds.length) { map.fitBounds(bounds, { padding: [30, 30], maxZoom: 15 }); } else { map.setView([37.86, 113.58], 10); }
})();
