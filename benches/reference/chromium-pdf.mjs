// Reference for scripts/bench-pdf.sh: warm headless Chromium printing certificates to PDF, as a service that
// renders HTML certificates would. The pages are microcred's own public credential pages (the same facts as the
// PDF certificate), fetched once before the clock starts, so the figure is Chromium's printing alone: for each
// PDF, one of two open tabs is given the page (setContent) and prints it (A4 landscape, backgrounds on).
// Usage: BASE=http://… IDS=ids.txt SECONDS=15 node benches/reference/chromium-pdf.mjs
// playwright-core comes from tests/browser (npm ci --prefix tests/browser); the browser is Debian's chromium.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const { chromium } = createRequire(new URL("../../tests/browser/package.json", import.meta.url))("playwright-core");
const base = process.env.BASE;
const ids = readFileSync(process.env.IDS, "utf8").split("\n").filter(Boolean).slice(0, 100);
const seconds = Number(process.env.SECONDS || 15);

const pages = await Promise.all(ids.map(async (id) => {
  const response = await fetch(`${base}/credentials/${id}`, { headers: { accept: "text/html" } });
  if (!response.ok) throw new Error(`GET /credentials/${id}: ${response.status}`);
  return await response.text();
}));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
const tabs = await Promise.all([0, 1].map(() => browser.newPage()));
let made = 0;
let bytes = 0;
const print = async (tab, html) => {
  await tab.setContent(html, { waitUntil: "load" });
  const pdf = await tab.pdf({ format: "A4", landscape: true, printBackground: true });
  bytes = pdf.length;
};
// Warm-up: each tab prints a few before the clock starts.
for (let i = 0; i < 4; i++) await Promise.all(tabs.map((tab, t) => print(tab, pages[(i * 2 + t) % pages.length])));
const start = performance.now();
const end = start + seconds * 1000;
await Promise.all(tabs.map(async (tab, t) => {
  for (let i = t; performance.now() < end; i += 2) {
    await print(tab, pages[i % pages.length]);
    made++;
  }
}));
const elapsed = (performance.now() - start) / 1000;
await browser.close();
console.log(`${(made / elapsed).toFixed(2)} PDFs/s (${made} in ${elapsed.toFixed(1)} s, last ${bytes} bytes)`);
