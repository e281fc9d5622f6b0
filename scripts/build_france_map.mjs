// Build gateway/web/static/france.geojson: the outlines of metropolitan France
// and of the overseas départements (shown as insets), from Natural Earth's
// 1:50m countries (public domain) as the world-atlas npm package ships them,
// decoded with topojson-client. One feature per territory, its département
// code in `properties.code` ("metropole" for mainland France and Corsica).
//
//     npm ci && node scripts/build_france_map.mjs
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { feature } = require("topojson-client");
const root = new URL("..", import.meta.url).pathname;
const atlas = JSON.parse(readFileSync(`${root}node_modules/world-atlas/countries-50m.json`, "utf8"));

// Each territory by the box holding it (west, south, east, north).
const TERRITORIES = [
  ["metropole", "France métropolitaine", [-5.5, 41, 10, 51.5]],
  ["971", "Guadeloupe", [-62, 15.8, -61, 16.6]],
  ["972", "Martinique", [-61.3, 14.3, -60.7, 15]],
  ["973", "Guyane", [-55, 2, -51.5, 6]],
  ["974", "La Réunion", [55, -21.5, 56, -20.7]],
  ["976", "Mayotte", [44.9, -13.1, 45.4, -12.5]],
];

const france = atlas.objects.countries.geometries.filter((g) => g.properties.name === "France");
const shape = feature(atlas, { type: "GeometryCollection", geometries: france }).features[0];
const round = (ring) => ring.map(([x, y]) => [Math.round(x * 1e4) / 1e4, Math.round(y * 1e4) / 1e4]);
const inside = ([x, y], [w, s, e, n]) => x >= w && x <= e && y >= s && y <= n;

const features = TERRITORIES.map(([code, name, box]) => ({
  type: "Feature",
  properties: { code, name },
  geometry: {
    type: "MultiPolygon",
    coordinates: shape.geometry.coordinates
      .filter((polygon) => inside(polygon[0][0], box))
      .map((polygon) => polygon.map(round)),
  },
}));
for (const f of features) {
  if (!f.geometry.coordinates.length) throw new Error(`no outline for ${f.properties.name}`);
}
const out = `${root}gateway/web/static/france.geojson`;
writeFileSync(out, `${JSON.stringify({ type: "FeatureCollection", features })}\n`);
console.log(`${features.length} territories → ${out}`);
