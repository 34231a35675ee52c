// Opens credential pages in a real headless Chromium at phone size, checks the verdict each shows and that
// no request failed and nothing was blocked, checks each page for WCAG 2.2 A and AA violations with axe-core,
// takes screenshots, and verifies a PDF through /verify.
// Input (environment): BASE, CASES (JSON [{id, verdict, label, lang?, next?}]), PDF (a certificate file), SHOTS (folder),
// ISSUER (an issuer slug whose profile page is checked too).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

const base = process.env.BASE;
const cases = JSON.parse(process.env.CASES);
const shots = process.env.SHOTS;
const problems = [];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, locale: "en-GB" });
await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
const page = await context.newPage();
page.on("requestfailed", (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
page.on("response", (response) => {
  if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
});
page.on("console", (message) => {
  if (message.type() === "error") problems.push(`console error: ${message.text()}`);
});
page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));

// axe-core, evaluated through the DevTools protocol (the page's CSP allows no injected script, rightly), on
// the WCAG 2.0, 2.1 and 2.2 A and AA rules. Every violation is a problem, named with where it is.
async function accessibility(name) {
  await page.evaluate(axeSource);
  const results = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] } }),
  );
  for (const violation of results.violations) {
    const where = violation.nodes.map((n) => `${n.target.join(" ")}${n.any[0] ? ` (${n.any[0].message})` : ""}`).join("; ");
    problems.push(`${name}: WCAG ${violation.id} (${violation.impact}): ${violation.help}: ${where}`);
  }
  return results.passes.length;
}
let rulesPassed = 0;

for (const c of cases) {
  // A case may ask for a language (?lang=) and for the link to a newer credential (renewal, correction).
  await page.goto(`${base}/credentials/${c.id}${c.lang ? `?lang=${c.lang}` : ""}`, { waitUntil: "networkidle" });
  const verdict = await page.getAttribute("[data-verdict]", "data-verdict");
  const label = (await page.textContent(".verdict-label"))?.trim();
  if (verdict !== c.verdict || label !== c.label) problems.push(`${c.id}: verdict ${verdict} "${label}", expected ${c.verdict} "${c.label}"`);
  if (c.next) {
    const next = await page.getAttribute(".verdict-successor a", "href").catch(() => null);
    if (next !== c.next) problems.push(`${c.id} (${c.lang}): links ${next}, expected the newer credential ${c.next}`);
    await page.screenshot({ path: `${shots}/${c.verdict}-${c.lang}.png`, fullPage: true });
    rulesPassed += await accessibility(`${c.verdict} page (${c.lang})`);
    continue;
  }
  // The copy-link button appears only with JavaScript, which the CSP must allow (own script only).
  if (!(await page.isVisible("button.copy"))) problems.push(`${c.id}: the copy-link button is not shown`);
  await page.click("button.copy");
  await page.waitForFunction(() => document.querySelector(".copied")?.textContent !== "", null, { timeout: 2000 }).catch(() => {});
  const announced = (await page.textContent(".copied"))?.trim();
  if (announced !== "Link copied") problems.push(`${c.id}: copying the link announced "${announced}"`);
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  if (copied !== `${base}/credentials/${c.id}`) problems.push(`${c.id}: copied "${copied}"`);
  await page.screenshot({ path: `${shots}/${c.verdict}.png`, fullPage: true });
  rulesPassed += await accessibility(`${c.verdict} page`);
}

await page.goto(`${base}/verify`, { waitUntil: "networkidle" });
rulesPassed += await accessibility("the /verify form");
if (process.env.ISSUER) {
  await page.goto(`${base}/issuers/${process.env.ISSUER}`, { waitUntil: "networkidle" });
  rulesPassed += await accessibility("the issuer profile page");
}
// The API reference: Swagger UI from our own origin under /docs' CSP (a blocked script or style is a console
// error above), every operation listed, and an operation's request and response examples shown.
await page.setViewportSize({ width: 1280, height: 900 });
await page.goto(`${base}/docs`, { waitUntil: "networkidle" });
await page.waitForSelector(".opblock", { timeout: 10000 }).catch(() => problems.push("/docs: no operation rendered"));
const operations = await page.locator(".opblock").count();
if (operations !== Number(process.env.OPERATIONS)) problems.push(`/docs: ${operations} operations, expected ${process.env.OPERATIONS}`);
await page.click("#operations-awards-credentials_issue .opblock-summary-control");
await page.waitForSelector("#operations-awards-credentials_issue .body-param__example, #operations-awards-credentials_issue .highlight-code", { timeout: 5000 }).catch(() => {});
const opened = await page.textContent("#operations-awards-credentials_issue");
for (const expected of ["Иван Петров", "ivan.petrov@example.bg", "OpenBadgeCredential"]) {
  if (!opened.includes(expected)) problems.push(`/docs: the award operation does not show the example ${expected}`);
}
await page.screenshot({ path: `${shots}/docs.png` });
await page.setViewportSize({ width: 390, height: 844 });

await page.goto(`${base}/verify`, { waitUntil: "networkidle" });
await page.setInputFiles("#file", process.env.PDF);
await Promise.all([page.waitForNavigation({ waitUntil: "networkidle" }), page.click("button[type=submit]")]);
const uploaded = await page.getAttribute("[data-verdict]", "data-verdict");
const printed = (await page.textContent(".verdict-printed"))?.trim();
if (uploaded !== "valid") problems.push(`uploaded PDF: verdict ${uploaded}`);
if (printed !== "The printed certificate matches the credential embedded in it.") problems.push(`uploaded PDF: ${printed}`);
await page.screenshot({ path: `${shots}/upload.png`, fullPage: true });
rulesPassed += await accessibility("the upload report page");

await browser.close();
if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`ok: ${cases.length} pages and one upload; axe-core: no WCAG 2.2 A/AA violation, ${rulesPassed} rule checks passed`);
