// The learner's space in a real headless Chromium at phone size, in two phases (the test reads the e-mail
// in between): PHASE=ask opens /me, asks for a sign-in link for EMAIL through the form and checks the
// "check your e-mail" page; PHASE=open opens LINK (from the e-mail), checks that the space lists COUNT
// credentials with their verdicts, presses "Add to wallet" on the first (a QR code and an
// openid-credential-offer:// link), then signs out through the form. Every page is checked with axe-core
// (WCAG 2.2 A and AA) and under the pages' Content-Security-Policy (a blocked resource is a console error).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const base = process.env.BASE;
const problems = [];
let expectGone = false;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, locale: "en-GB" });
const page = await context.newPage();
page.on("requestfailed", (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
page.on("console", (message) => {
  // Chromium logs the used link's 410 as an error; that answer is the one expected.
  if (message.type() === "error" && !(expectGone && message.text().includes("410"))) problems.push(`console error: ${message.text()}`);
});
page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));

async function accessibility(name) {
  await page.evaluate(axeSource);
  const results = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] } }),
  );
  for (const violation of results.violations) {
    const where = violation.nodes.map((n) => n.target.join(" ")).join("; ");
    problems.push(`${name}: WCAG ${violation.id} (${violation.impact}): ${violation.help}: ${where}`);
  }
  return results.passes.length;
}
let rulesPassed = 0;

if (process.env.PHASE === "ask") {
  const form = await page.goto(`${base}/me`, { waitUntil: "networkidle" });
  if (form.status() !== 200) problems.push(`/me: HTTP ${form.status()}`);
  rulesPassed += await accessibility("the sign-in form");
  await page.fill("#email", process.env.EMAIL);
  const [sent] = await Promise.all([page.waitForNavigation({ waitUntil: "networkidle" }), page.click("button[type=submit]")]);
  if (sent.status() !== 200) problems.push(`sign-in request: HTTP ${sent.status()}`);
  const said = (await page.textContent("[role=status]"))?.trim() ?? "";
  if (!said.includes(process.env.EMAIL)) problems.push(`"check your e-mail" page says: ${said}`);
  await page.screenshot({ path: `${process.env.SHOTS}/me-link-sent.png`, fullPage: true });
  rulesPassed += await accessibility("the link-sent page");
} else {
  const opened = await page.goto(process.env.LINK, { waitUntil: "networkidle" });
  if (!page.url().startsWith(`${base}/me?lang=`)) problems.push(`the link led to ${page.url()}`);
  if (opened.status() !== 200) problems.push(`the space: HTTP ${opened.status()}`);
  const held = await page.locator(".held-credential").count();
  if (held !== Number(process.env.COUNT)) problems.push(`the space lists ${held} credentials, expected ${process.env.COUNT}`);
  const verdicts = await page.locator(".held-credential .verdict-label-small").allTextContents();
  if (!verdicts.every((v) => v.trim() === "Valid")) problems.push(`verdicts shown: ${verdicts.join(", ")}`);
  await page.screenshot({ path: `${process.env.SHOTS}/me.png`, fullPage: true });
  rulesPassed += await accessibility("the learner's space");
  // "Add to wallet": a QR code for the wallet app and the same-device links, in the page's language.
  const [wallet] = await Promise.all([page.waitForNavigation({ waitUntil: "networkidle" }), page.click(".wallet-form button")]);
  if (wallet.status() !== 200) problems.push(`Add to wallet: HTTP ${wallet.status()}`);
  if (!(await page.isVisible(".wallet-qr svg"))) problems.push("Add to wallet shows no QR code");
  const offer = (await page.locator("#open-wallet").getAttribute("href", { timeout: 5000 }).catch(() => null)) ?? "";
  if (!offer.startsWith("openid-credential-offer://?credential_offer_uri=")) {
    problems.push(`the same-device link is "${offer}"; the page says: ${(await page.textContent("main"))?.trim()}`);
  }
  await page.screenshot({ path: `${process.env.SHOTS}/wallet.png`, fullPage: true });
  rulesPassed += await accessibility("the Add to wallet page");
  await page.goto(`${base}/me`, { waitUntil: "networkidle" });
  await Promise.all([page.waitForNavigation({ waitUntil: "networkidle" }), page.click(".sign-out button")]);
  if (!(await page.isVisible("#email"))) problems.push("after signing out, the sign-in form is not shown");
  // The link worked once: opening it again shows the form with an explanation.
  expectGone = true;
  const again = await page.goto(process.env.LINK, { waitUntil: "networkidle" });
  if (again.status() !== 410) problems.push(`the used link: HTTP ${again.status()}, expected 410`);
  rulesPassed += await accessibility("the used-link page");
}

await browser.close();
if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`ok: learner space (${process.env.PHASE}); axe-core: no WCAG 2.2 A/AA violation, ${rulesPassed} rule checks passed`);
