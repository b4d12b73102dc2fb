// Checks the docs page in headless Chromium (Debian's): it loads, lists every operation of the OpenAPI document, and a
// call made from the page with a token answers 200. Nothing may leave loopback: any other request fails the check.
//   node docs-page-check.mjs <api base url> <token> <screenshot.png>
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [base, token, screenshot] = process.argv.slice(2);
if (!base || !token || !screenshot) {
  console.error('usage: node docs-page-check.mjs <api base url> <token> <screenshot.png>');
  process.exit(2);
}

const fail = (message) => { console.error(`docs page check: ${message}`); process.exitCode = 1; };
const document = await (await fetch(`${base}/fayvad_api/openapi/v1.json`)).json();
const operations = Object.values(document.paths).flatMap((item) => Object.keys(item)).length;

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'fayvad-docs-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1400, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const outside = [];
await context.route('**/*', (route) => {
  const url = new URL(route.request().url());
  if (['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) || url.protocol === 'data:' || url.protocol === 'blob:') {
    return route.continue();
  }
  outside.push(url.href);
  return route.abort();
});

try {
  const page = context.pages()[0] ?? await context.newPage();
  await page.goto(`${base}/fayvad_api/docs/`);
  await page.getByText(document.info.title).first().waitFor({ timeout: 30000 });

  // Every tag's group opened, the sidebar lists one entry per operation.
  const closed = page.getByRole('button', { name: /^Open Group - / });
  for (let i = 0; i < 50 && await closed.count() > 0; i++) {
    await closed.first().click();
  }
  const links = new Set(await page.locator('a[href^="#tag/"]').evaluateAll((as) => as.map((a) => decodeURIComponent(a.getAttribute('href')))));
  const missing = Object.entries(document.paths).flatMap(([route, item]) => Object.keys(item).map((method) => `${method.toUpperCase()}${route}`))
    .filter((operation) => ![...links].some((link) => link.endsWith(`/${operation}`)));
  const listed = operations - missing.length;
  if (missing.length > 0) fail(`the sidebar does not list ${missing.length} of ${operations} operations: ${missing.slice(0, 5).join(', ')}`);

  // A call from the page: the token in the page's Bearer field, then "Test Request" on GET auth/me and Send.
  await page.locator('input[placeholder="Token"]').first().fill(token);
  await page.locator('a[href$="/GET/fayvad_api/auth/me"]').first().click();
  const test = page.getByRole('button', { name: /Test Request\s*\(get \/fayvad_api\/auth\/me\)/i });
  await test.first().click();
  const answered = page.waitForResponse((r) => new URL(r.url()).pathname.startsWith('/fayvad_api/auth/me') && r.request().method() === 'GET',
    { timeout: 20000 });
  await page.getByRole('button', { name: /^Send/ }).first().click();
  const response = await answered;
  const authorization = response.request().headers().authorization ?? '';
  if (response.status() !== 200) fail(`the call from the page answered ${response.status()}`);
  if (authorization !== `Bearer ${token}`) fail('the call from the page did not carry the token as Bearer');
  await page.getByText('200', { exact: false }).first().waitFor({ timeout: 10000 });
  await page.waitForTimeout(500);
  fs.mkdirSync(path.dirname(screenshot), { recursive: true });
  await page.screenshot({ path: screenshot });
  console.log(`docs page: ${listed} operations listed (document: ${operations}); GET /fayvad_api/auth/me from the page: ${response.status()}`);
  console.log(`docs page screenshot: ${path.resolve(screenshot)}`);
} catch (error) {
  fail(error.message);
} finally {
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
}

if (outside.length > 0) fail(`the page asked for addresses off loopback: ${[...new Set(outside)].join(', ')}`);
