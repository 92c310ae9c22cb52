// Copies the dashboard's static files next to its compiled modules (dist/dashboard): the page, the
// stylesheet and uPlot from node_modules, so `shipgate serve` needs no network and no CDN.
import { copyFileSync, mkdirSync } from "node:fs";

const files = [
  ["src/dashboard/index.html", "index.html"],
  ["src/dashboard/dashboard.css", "dashboard.css"],
  ["node_modules/uplot/dist/uPlot.iife.min.js", "uPlot.iife.min.js"],
  ["node_modules/uplot/dist/uPlot.min.css", "uPlot.min.css"],
];
mkdirSync("dist/dashboard", { recursive: true });
for (const [from, to] of files) copyFileSync(from, `dist/dashboard/${to}`);
