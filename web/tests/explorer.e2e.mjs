// Drives the explorer in Debian's Chromium (playwright-core) and writes what it observed to
// $ARTIFACTS/observed-$MODE.json; tests/web/test_explorer.py compares that with the sample.
// Usage: BASE_URL=http://127.0.0.1:PORT ARTIFACTS=dir MODE=sample|scale node explorer.e2e.mjs
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const BASE = process.env.BASE_URL;
const OUT = process.env.ARTIFACTS;
const MODE = process.env.MODE ?? "sample";
mkdirSync(OUT, { recursive: true });

const observed = { errors: [], console: [], failedRequests: [] };
const started = Date.now();
observed.timings = {};

/** Progress on stderr, so a run that stops shows where (the test prints the tail). */
function step(name) {
  observed.lastStep = name;
  process.stderr.write(`[e2e ${MODE} +${Date.now() - started} ms] ${name}\n`);
}

function writeObserved() {
  writeFileSync(join(OUT, `observed-${MODE}.json`), JSON.stringify(observed, null, 2));
}

// A call without its own time limit (evaluate, saveAs, close) must not hang the suite: after the
// budget the run ends with what it saw and the step it was in.
const budgetMs = Number(process.env.E2E_BUDGET_MS ?? 240_000);
setTimeout(() => {
  observed.failure = `no end after ${budgetMs} ms; last step: ${observed.lastStep}`;
  step("watchdog");
  writeObserved();
  process.exit(3);
}, budgetMs).unref();

step("launch");
const browser = await chromium.launch({
  timeout: 60_000,
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    // A container's /dev/shm is often 64 MB: renderers would crash on it.
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
  ],
});
const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
context.setDefaultTimeout(30_000);
step("browser ready");

let current = null;
function mark(name) {
  observed.timings[name] = Date.now() - started;
  step(name);
}

function watch(page) {
  current = page;
  page.on("pageerror", (e) => observed.errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") observed.console.push(m.text());
  });
  page.on("requestfailed", (r) => observed.failedRequests.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
}

async function ready(page, url = BASE + "/") {
  // A new document each time: a link differing only in its #fragment must load afresh.
  await page.goto("about:blank");
  await page.goto(url);
  await page.waitForSelector("body[data-ready='1']", { timeout: 30_000 });
}

/** Fits the camera to the graph. sigma's promise from animate() with duration 0 never
 * settles when the first step already finishes (a millisecond ticked since its start: the
 * callback is stored after it ran), so it is not awaited; callers wait for the next frames. */
async function resetCamera(page) {
  await page.evaluate(() => {
    window.explorer.renderer.getCamera().animatedReset({ duration: 0 });
  });
}

/** Waits until no request is in flight and the force layout has stopped. */
async function settled(page, layout = false) {
  await page.waitForFunction(() => (document.body.dataset.busy ?? "0") === "0", null, { timeout: 30_000 });
  if (layout) await page.waitForFunction(() => document.body.dataset.layout !== "running", null, { timeout: 30_000 });
  await page.waitForTimeout(100);
}

async function shot(page, name) {
  mark(name);
  await settled(page, true);
  await page.screenshot({ path: join(OUT, `${name}.png`) });
}

/** What the canvas holds, from the page's own graph. */
async function canvas(page) {
  return page.evaluate(() => {
    const { graph } = window.explorer;
    return {
      nodes: graph.mapNodes((id, a) => ({ id, kind: a.kind, hidden: Boolean(a.hidden), fixed: Boolean(a.fixed), x: a.x, y: a.y, lon: a.lon, lat: a.lat, size: a.size, color: a.color })),
      edges: graph.mapEdges((id, a, s, t) => ({ source: s, target: t, relationship: a.relationship })),
    };
  });
}

async function searchAndOpen(page, text, name) {
  await page.fill("#search-input", "");
  await page.type("#search-input", text);
  await page.waitForSelector("#search-results li[data-id]", { timeout: 15_000 });
  const hits = await page.$$eval("#search-results li[data-id]", (items) =>
    items.map((li) => ({ id: li.dataset.id, name: li.querySelector(".hit-name").textContent })),
  );
  const hit = hits.find((h) => h.name === name) ?? hits[0];
  await page.click(`#search-results li[data-id="${hit.id}"]`);
  await page.waitForFunction((id) => document.body.dataset.selected === id, hit.id, { timeout: 15_000 });
  await settled(page);
  return { hits, opened: hit.id };
}

async function loadingWasShown(page) {
  return page.evaluate(() => window.__sawLoading === true);
}

async function trackLoading(page) {
  await page.evaluate(() => {
    window.__sawLoading = false;
    const bar = document.getElementById("loading-bar");
    new MutationObserver(() => {
      if (!bar.hidden) window.__sawLoading = true;
    }).observe(bar, { attributes: true });
  });
}

async function downloadVia(page, kind) {
  step(`export ${kind}`);
  await page.click("#export-button");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click(`[data-export="${kind}"]`)]);
  const path = join(OUT, download.suggestedFilename());
  await download.saveAs(path);
  return path;
}

async function sampleRun() {
  const page = await context.newPage();
  watch(page);
  await ready(page);
  await trackLoading(page);
  await shot(page, "01-start");

  // Search (Chinese full text) and open on the canvas.
  const search = await searchAndOpen(page, "八大关", "八大关街道党工委");
  observed.search = { ...search, loading: await loadingWasShown(page), detailsName: await page.textContent(".detail-name") };
  await shot(page, "02-search");

  // Expand one organization by employment only; collapse; pin.
  mark("expand");
  await page.click("#clear-button");
  const org = "91370202MAEXC1JF4N";
  await searchAndOpen(page, "海蓝信息技术", "青岛海蓝信息技术有限公司");
  await page.waitForSelector(".props");
  await page.click("#clear-button");
  await page.evaluate((id) => window.explorer.open([id]), org);
  await settled(page);
  await page.evaluate((id) => window.explorer.renderer.emit("clickNode", { node: id }), org);
  await page.waitForSelector(".props");
  for (const chip of await page.$$("#tab-details .chip.on")) await chip.click();
  await page.click('#tab-details .chip[data-tie="EMPLOYMENT"]');
  await page.click("#tab-details .btn-primary");
  await settled(page);
  const expanded = await canvas(page);
  observed.expand = {
    org,
    employees: expanded.edges.filter((e) => e.relationship === "EMPLOYED_BY" && e.target === org).map((e) => e.source),
    relationships: [...new Set(expanded.edges.map((e) => e.relationship))],
  };
  await page.click('#tab-details .btn-primary + .btn'); // collapse
  await settled(page);
  observed.collapse = { nodesAfter: (await canvas(page)).nodes.map((n) => n.id) };
  await page.click('#tab-details .btn-primary + .btn + .btn'); // pin
  observed.pin = { fixed: (await canvas(page)).nodes.find((n) => n.id === org).fixed };

  // A richer view: the party organisations and the agreements network, styled with a legend.
  await page.click("#clear-button");
  mark("rich-view");
  await page.click("#quick-start button:nth-child(2)");
  await settled(page);
  mark("agreements-open");
  await page.evaluate(() => window.explorer.expandAll(400));
  await settled(page);
  await resetCamera(page);
  await page.waitForTimeout(300);
  observed.legend = await page.$$eval("#legend .legend-item", (rows) => rows.map((r) => r.textContent));
  const styled = await canvas(page);
  observed.style = {
    nodes: styled.nodes.length,
    colorsByKind: Object.fromEntries(
      [...new Set(styled.nodes.map((n) => n.kind))].map((k) => [k, [...new Set(styled.nodes.filter((n) => n.kind === k).map((n) => n.color))].length]),
    ),
  };
  await shot(page, "03-force");
  await page.selectOption("#size-by", "employees");
  await settled(page);
  const sized = await canvas(page);
  observed.sizeByEmployees = sized.nodes.filter((n) => n.kind === "ORGANIZATION").map((n) => ({ id: n.id, size: n.size }));
  await page.selectOption("#size-by", "betweenness");
  await settled(page);
  observed.sizeByBetweenness = (await canvas(page)).nodes.filter((n) => n.kind === "ORGANIZATION" || n.kind === "PARTY_ORG").map((n) => ({ id: n.id, size: n.size }));
  await page.selectOption("#size-by", "none");

  step("geo");
  // Geographic layout: x grows with longitude, y with latitude.
  await page.click('[data-layout="geo"]');
  await page.waitForTimeout(800);
  await resetCamera(page);
  await page.waitForTimeout(200);
  observed.geo = (await canvas(page)).nodes.filter((n) => n.lon != null && n.kind === "ORGANIZATION").map((n) => ({ x: n.x, y: n.y, lon: n.lon, lat: n.lat }));
  await shot(page, "04-geo");
  await page.click('[data-layout="force"]');
  await settled(page);

  step("filters");
  // Filters: sector, kind, region subtree, as-of date.
  await page.selectOption("#filter-sector", "new_economic");
  let view = await canvas(page);
  observed.filterSector = view.nodes.filter((n) => n.kind === "ORGANIZATION" && !n.hidden).map((n) => n.id);
  await page.selectOption("#filter-sector", "");
  await page.click('#filter-kinds .chip[data-kind="PERSON"]');
  view = await canvas(page);
  observed.filterKind = { visiblePeople: view.nodes.filter((n) => n.kind === "PERSON" && !n.hidden).length, people: view.nodes.filter((n) => n.kind === "PERSON").length };
  await page.click('#filter-kinds .chip[data-kind="PERSON"]');
  await page.selectOption("#filter-region", "370202001");
  view = await canvas(page);
  observed.filterRegion = { visibleUnits: view.nodes.filter((n) => (n.kind === "ORGANIZATION" || n.kind === "PARTY_ORG") && !n.hidden).map((n) => n.id) };
  await shot(page, "05-filter-region");
  await page.selectOption("#filter-region", "");
  await page.evaluate(() => window.explorer.open(["AG-370202-906"]));
  await settled(page);
  const asOfHidden = async (date) => {
    await page.fill("#filter-asof", date);
    await page.dispatchEvent("#filter-asof", "change");
    return (await canvas(page)).nodes.find((n) => n.id === "AG-370202-906")?.hidden;
  };
  observed.asOf = { "2027-01-01": await asOfHidden("2027-01-01"), "2022-06-30": await asOfHidden("2022-06-30") };
  await page.fill("#filter-asof", "2027-01-01");
  await page.dispatchEvent("#filter-asof", "change");

  step("details");
  // Details: a person's phone as the API gives it (masked).
  const personWithPhone = process.env.PERSON_WITH_PHONE;
  await page.evaluate((id) => window.explorer.open([id]), personWithPhone);
  await settled(page);
  await page.evaluate((id) => window.explorer.renderer.emit("clickNode", { node: id }), personWithPhone);
  await page.waitForSelector("#tab-details .props");
  observed.phone = await page.$$eval("#tab-details .props dt", (dts) => {
    const dt = dts.find((d) => d.textContent === "手机号");
    return dt ? dt.nextElementSibling.textContent : null;
  });
  await shot(page, "06-details");

  // Exports of the current view.
  observed.exports = {};
  for (const kind of ["png", "graphml", "gexf", "nodes-csv", "edges-csv"]) observed.exports[kind] = await downloadVia(page, kind);
  observed.exportedView = { visible: (await canvas(page)).nodes.filter((n) => !n.hidden).length };

  step("pathways");
  // Pathways, from a link that names the two units (the view's state lives in the URL).
  const pw = JSON.parse(process.env.PATHWAYS);
  const pathUrl = (a, b, h) => `${BASE}/#tab=paths&from=${encodeURIComponent(a)}&to=${encodeURIComponent(b)}${h ? "&h=1" : ""}&asOf=2027-01-01`;
  observed.paths = {};
  for (const [name, a, b, horizontal] of pw) {
    await ready(page, pathUrl(a, b, horizontal));
    await settled(page);
    const items = await page.$$eval("#paths-result .path-item", (xs) => xs.map((x) => ({ hops: x.querySelector(".score").textContent, explanation: x.querySelector(".explanation").textContent })));
    observed.paths[name] = {
      items,
      none: await page.$eval("#paths-result", (x) => x.textContent),
      highlighted: await page.evaluate(() => document.body.dataset.highlight ?? ""),
      highlightedEdges: await page.evaluate(() => window.explorer.highlighted().edges),
    };
    if (name === "PW2") await shot(page, "07-pathways");
  }
  // The horizontal switch in the form re-asks (the last case is not horizontal-only).
  await page.check("#path-horizontal");
  await page.waitForFunction(() => !document.querySelector("#paths-result .path-item"), null, { timeout: 30_000 });
  await settled(page);
  observed.paths.switched = await page.$eval("#paths-result", (x) => x.textContent);

  step("partners");
  // Partners for a unit: the form, ranked partners with components, highlighted.
  const s1 = JSON.parse(process.env.PARTNERS);
  await ready(page, `${BASE}/#tab=partners&asOf=2027-01-01&unit=${encodeURIComponent(s1.unit.id + "@" + s1.unit.name)}`);
  await page.fill("#partner-scenario", s1.need.scenario ?? "");
  for (const kind of s1.need.resource_kinds) await page.click(`#partner-kinds .chip[data-kind="${kind.toUpperCase()}"]`);
  await page.fill("#partner-radius", String(s1.radius_km));
  await page.click("#partners-run");
  await page.waitForSelector("#partners-result .partner-item", { timeout: 30_000 });
  await settled(page);
  observed.partners = {
    ranked: await page.$$eval("#partners-result .partner-item", (xs) => xs.map((x) => x.querySelector(".item-title span:nth-child(2)").textContent)),
    components: await page.$$eval("#partners-result .partner-item", (xs) => [...xs[0].querySelectorAll(".bars > span:nth-child(3n+1)")].map((x) => x.textContent)),
    highlighted: await page.evaluate(() => (document.body.dataset.highlight ?? "").split(",")),
  };
  await shot(page, "08-partners");

  // Coverage gaps overlay: counts, the member-ratio table, a click that says why.
  await ready(page, `${BASE}/#tab=gaps&asOf=2027-01-01`);
  mark("gaps-ready");
  await page.click("#gaps-run");
  await page.waitForSelector("#gaps-result .gap-stat", { timeout: 60_000 });
  await settled(page);
  mark("gaps-shown");
  observed.gaps = {
    stats: await page.$$eval("#gaps-result .gap-stat", (xs) => Object.fromEntries(xs.map((x) => [x.dataset.gap, Number(x.querySelector(".big").textContent)]))),
    ratioRows: await page.$$eval("#member-ratios tr", (rows) => rows.slice(1).map((r) => [...r.children].map((c) => c.textContent))),
    regionRows: await page.$$eval("#gaps-by-region tr", (rows) => rows.length - 1),
    onCanvas: Number(await page.evaluate(() => document.body.dataset.gaps)),
  };
  await resetCamera(page);
  await page.waitForTimeout(300);
  await shot(page, "09-gaps");
  const firstGap = await page.$eval("#gaps-result .gap-item", (x) => x.dataset.id);
  await page.click("#gaps-result .gap-item");
  await page.waitForSelector("#tab-details .why");
  observed.gaps.clicked = { id: firstGap, why: await page.textContent("#tab-details .why") };
  await shot(page, "10-gap-why");

  step("link");
  // The link reopens the view (nodes, selection, tab).
  const before = await canvas(page);
  const link = await page.evaluate(() => window.explorer.viewUrl());
  const second = await context.newPage();
  watch(second);
  await ready(second, BASE + link);
  await settled(second);
  const after = await canvas(second);
  observed.link = {
    before: before.nodes.map((n) => n.id).sort(),
    after: after.nodes.map((n) => n.id).sort(),
    selected: await second.evaluate(() => document.body.dataset.selected),
    expectedSelected: firstGap,
  };
  await second.close();

  step("language");
  // Language switch.
  await page.click("#lang-en");
  observed.english = {
    lang: await page.evaluate(() => document.documentElement.lang),
    tabs: await page.$$eval("#tabs button", (xs) => xs.map((x) => x.textContent)),
    legend: await page.$$eval("#legend .legend-group-title", (xs) => xs.map((x) => x.textContent)),
  };
  await shot(page, "11-english");
  await page.click("#lang-zh");
  observed.chinese = { tabs: await page.$$eval("#tabs button", (xs) => xs.map((x) => x.textContent)) };

  step("api key");
  // An API key typed in is kept for the tab's session and sent as a bearer token.
  await page.click("#key-button");
  await page.fill("#key-input", "cb_e2e_not_a_real_key");
  await page.click('#key-dialog button[value="save"]');
  const [request] = await Promise.all([
    page.waitForRequest((r) => r.url().endsWith("/graphql") && r.method() === "POST"),
    page.type("#search-input", "湛山"),
  ]);
  observed.apiKey = {
    authorization: request.headers()["authorization"] ?? null,
    stored: await page.evaluate(() => sessionStorage.getItem("cobuild.apiKey")),
  };
  await page.click("#key-button");
  await page.click('#key-dialog button[value="clear"]');
  // The dialog closes before its handler runs: give it a moment (a key never cleared still fails).
  await page
    .waitForFunction(() => sessionStorage.getItem("cobuild.apiKey") === null, null, { timeout: 5000 })
    .catch(() => {});
  observed.apiKey.cleared = await page.evaluate(() => sessionStorage.getItem("cobuild.apiKey"));

  step("api error");
  // An error from the API is said clearly.
  await ready(page, `${BASE}/#tab=paths&from=NO-SUCH-UNIT&to=${encodeURIComponent(pw[0][2])}`);
  await settled(page);
  observed.apiError = { panel: await page.textContent("#paths-result"), toast: await page.textContent("#toast") };
  await page.close();
}

async function scaleRun() {
  const page = await context.newPage();
  watch(page);
  await ready(page);
  const seeds = JSON.parse(process.env.SEEDS);
  await page.evaluate((ids) => window.explorer.open(ids), seeds);
  await settled(page);
  const target = Number(process.env.TARGET_NODES ?? 5000);
  for (let round = 0; round < 8; round++) {
    step(`expand round ${round}`);
    const order = await page.evaluate(() => window.explorer.graph.order);
    if (order >= target) break;
    await page.evaluate(() => window.explorer.expandAll(500));
    await settled(page);
  }
  await page.evaluate(() => window.explorer.stopLayout());
  await resetCamera(page);
  await page.waitForTimeout(500);
  const size = await page.evaluate(() => ({ nodes: window.explorer.graph.order, edges: window.explorer.graph.size }));
  step("frames");
  // Frames per second (requestAnimationFrame) while a person pans (drag) and zooms (wheel).
  const box = await page.locator("#graph").boundingBox();
  const counting = page.evaluate(
    (ms) =>
      new Promise((resolve) => {
        const renderer = window.explorer.renderer;
        let renders = 0;
        const count = () => (renders += 1);
        renderer.on("afterRender", count);
        const start = performance.now();
        let frames = 0;
        const step = (now) => {
          frames += 1;
          if (now - start < ms) requestAnimationFrame(step);
          else {
            renderer.off("afterRender", count);
            resolve({ fps: frames / ((now - start) / 1000), rendersPerSecond: renders / ((now - start) / 1000) });
          }
        };
        requestAnimationFrame(step);
      }),
    6000,
  );
  const t0 = Date.now();
  const x = box.x + 40;
  const y = box.y + 40;
  while (Date.now() - t0 < 5500) {
    await page.mouse.move(x, y);
    await page.mouse.down();
    await page.mouse.move(x + 240, y + 120, { steps: 24 });
    await page.mouse.up();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -240);
    await page.mouse.wheel(0, 240);
  }
  const interaction = await counting;
  // For the record: every frame a full redraw (edges and labels kept), the camera moved by code.
  const fullRedraw = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const camera = window.explorer.renderer.getCamera();
        const start = performance.now();
        let frames = 0;
        const step = (now) => {
          const t = (now - start) / 1000;
          camera.setState({ x: 0.5 + 0.2 * Math.sin(t * 2), y: 0.5 + 0.2 * Math.cos(t * 2), ratio: 0.6 + 0.35 * Math.sin(t) });
          frames += 1;
          if (now - start < 3000) requestAnimationFrame(step);
          else resolve(frames / ((now - start) / 1000));
        };
        requestAnimationFrame(step);
      }),
  );
  // Still interactive: a click on a node selects it and fills the details panel.
  await resetCamera(page);
  await page.waitForTimeout(300);
  const someNode = await page.evaluate(() => window.explorer.graph.nodes()[0]);
  const t1 = Date.now();
  await page.evaluate((id) => window.explorer.renderer.emit("clickNode", { node: id }), someNode);
  await page.waitForSelector("#tab-details .props", { timeout: 15_000 });
  observed.scale = { ...size, ...interaction, fullRedrawFps: fullRedraw, clickToDetailsMs: Date.now() - t1 };
  await shot(page, "12-5000-nodes");
  await page.close();
}

try {
  if (MODE === "scale") await scaleRun();
  else await sampleRun();
} catch (exc) {
  observed.failure = String(exc && exc.stack ? exc.stack : exc);
  if (current) await current.screenshot({ path: join(OUT, "failure.png") }).catch(() => undefined);
} finally {
  step(observed.failure ? "failed" : "done");
  writeObserved();
  await Promise.race([browser.close(), new Promise((resolve) => setTimeout(resolve, 15_000))]);
}
