// Opens credential pages in a real headless Chromium at phone size, checks the verdict each shows and that
// no request failed and nothing was blocked, takes screenshots, and verifies a PDF through /verify.
// Input (environment): BASE, CASES (JSON [{id, verdict, label}]), PDF (a certificate file), SHOTS (folder).
import { chromium } from "playwright-core";

const base = process.env.BASE;
const cases = JSON.parse(process.env.CASES);
const shots = process.env.SHOTS;
const problems = [];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, locale: "en-GB" });
const page = await context.newPage();
page.on("requestfailed", (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
page.on("response", (response) => {
  if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
});
page.on("console", (message) => {
  if (message.type() === "error") problems.push(`console error: ${message.text()}`);
});
page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));

for (const c of cases) {
  await page.goto(`${base}/credentials/${c.id}`, { waitUntil: "networkidle" });
  const verdict = await page.getAttribute("[data-verdict]", "data-verdict");
  const label = (await page.textContent(".verdict-label"))?.trim();
  if (verdict !== c.verdict || label !== c.label) problems.push(`${c.id}: verdict ${verdict} "${label}", expected ${c.verdict} "${c.label}"`);
  // The copy-link button appears only with JavaScript, which the CSP must allow (own script only).
  if (!(await page.isVisible("button.copy"))) problems.push(`${c.id}: the copy-link button is not shown`);
  await page.screenshot({ path: `${shots}/${c.verdict}.png`, fullPage: true });
}

await page.goto(`${base}/verify`, { waitUntil: "networkidle" });
await page.setInputFiles("#file", process.env.PDF);
await Promise.all([page.waitForNavigation({ waitUntil: "networkidle" }), page.click("button[type=submit]")]);
const uploaded = await page.getAttribute("[data-verdict]", "data-verdict");
const printed = (await page.textContent(".verdict-printed"))?.trim();
if (uploaded !== "valid") problems.push(`uploaded PDF: verdict ${uploaded}`);
if (printed !== "The printed certificate matches the credential embedded in it.") problems.push(`uploaded PDF: ${printed}`);
await page.screenshot({ path: `${shots}/upload.png`, fullPage: true });

await browser.close();
if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`ok: ${cases.length} pages and one upload`);
