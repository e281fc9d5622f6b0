// The booking map: Leaflet over the shipped outlines of France (no tile server,
// no internet), metropolitan France with the overseas départements as insets,
// pins gathered in clusters that open on a click, zoom buttons in French.
"use strict";

const OUTLINE = { color: "#7d8fa9", weight: 1, fillColor: "#e4eaf2", fillOpacity: 1 };

class CentreMap {
  constructor(holder, onChoose) {
    this.holder = holder;
    this.onChoose = onChoose;
    this.territories = [];  // {code, name, map, pins, area}
    this.markers = new Map();  // centre id → marker
  }

  async load() {
    const outlines = await (await fetch("/static/france.geojson")).json();
    const insets = document.createElement("div");
    insets.className = "encarts";
    for (const feature of outlines.features) {
      const { code, name } = feature.properties;
      const main = code === "metropole";
      const box = document.createElement("div");
      box.className = main ? "carte-principale" : "carte-encart";
      box.dataset.territoire = code;
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", main ? "Carte de la France métropolitaine" : `Encart : ${name}`);
      if (main) {
        this.holder.append(box);
      } else {
        const figure = document.createElement("figure");
        const caption = document.createElement("figcaption");
        caption.textContent = name;
        figure.append(box, caption);
        insets.append(figure);
      }
      this.territories.push(this.territory(box, feature, main));
    }
    this.holder.append(insets);
    // Leaflet measures its boxes: once the insets are laid out, measure again.
    for (const t of this.territories) t.map.invalidateSize();
  }

  territory(box, feature, main) {
    const map = L.map(box, {
      attributionControl: false,
      zoomControl: false,
      zoomSnap: 0.25,
      minZoom: 3,
      maxZoom: 15,  // the clusters need a last zoom level; no tiles give one
      keyboard: main,
      scrollWheelZoom: main,
    });
    // Insets are small: they zoom on a cluster's click, without buttons over them.
    if (main) L.control.zoom({ zoomInTitle: "Zoomer", zoomOutTitle: "Dézoomer" }).addTo(map);
    const outline = L.geoJSON(feature, { style: OUTLINE, interactive: false }).addTo(map);
    const area = outline.getBounds();
    map.fitBounds(area);
    const pins = L.markerClusterGroup({
      showCoverageOnHover: false,
      maxClusterRadius: 45,
      spiderfyOnMaxZoom: true,
      iconCreateFunction: (cluster) => L.divIcon({
        className: "grappe",
        html: `<span>${cluster.getChildCount()}</span>`,
        iconSize: [34, 34],
      }),
    });
    pins.on("clusterclick", (event) => event.layer.zoomToBounds({ padding: [30, 30] }));
    map.addLayer(pins);
    const here = L.layerGroup().addTo(map);
    return { code: feature.properties.code, map, pins, here, area: area.pad(0.5), home: area, main };
  }

  // The territory showing a point: an inset when it lies there, else the main map.
  territoryOf(lat, lon) {
    const point = L.latLng(lat, lon);
    return this.territories.find((t) => !t.main && t.area.contains(point))
      || this.territories.find((t) => t.main);
  }

  show(result) {
    this.markers.clear();
    for (const t of this.territories) {
      t.pins.clearLayers();
      t.here.clearLayers();
    }
    const { latitude, longitude, name } = result.place;
    const searched = this.territoryOf(latitude, longitude);
    L.circleMarker([latitude, longitude], {
      radius: 5, color: "#003da5", fillOpacity: 1, interactive: false,
    }).addTo(searched.here);
    for (const centre of result.centres) {
      const t = this.territoryOf(centre.latitude, centre.longitude);
      const marker = this.pin(centre);
      t.pins.addLayer(marker);
      this.markers.set(centre.id, { marker, territory: t });
    }
    // Frame the town and its centres on the map that shows them.
    const points = [[latitude, longitude], ...result.centres
      .filter((c) => this.territoryOf(c.latitude, c.longitude) === searched)
      .map((c) => [c.latitude, c.longitude])];
    for (const t of this.territories) t.map.fitBounds(t.home);
    // An inset keeps its whole island in view; the main map frames the search.
    if (searched.main) searched.map.fitBounds(L.latLngBounds(points).pad(0.3), { maxZoom: 10 });
    this.holder.dataset.recherche = name;
  }

  pin(centre) {
    const label = `${centre.name} (${centre.city}), ${centre.free_seats} places libres`;
    const marker = L.marker([centre.latitude, centre.longitude], {
      icon: L.divIcon({ className: "epingle", iconSize: [18, 18] }),
      title: label,
      keyboard: true,
    });
    marker.on("click", () => this.onChoose(centre.id));
    marker.on("add", () => {
      const icon = marker.getElement();
      icon.dataset.centre = centre.id;
      icon.setAttribute("aria-label", label);
      icon.classList.toggle("choisi", this.chosen === centre.id);
      icon.onkeydown = (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          this.onChoose(centre.id);
        }
      };
    });
    return marker;
  }

  choose(id) {
    this.chosen = id;
    for (const [centreId, { marker }] of this.markers) {
      const icon = marker.getElement();
      if (icon) icon.classList.toggle("choisi", centreId === id);
    }
    const found = this.markers.get(id);
    // A pin inside a cluster: open the cluster so the chosen centre shows.
    if (found) found.territory.pins.zoomToShowLayer(found.marker, () => {
      const icon = found.marker.getElement();
      if (icon) icon.classList.add("choisi");
    });
  }
}
