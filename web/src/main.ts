// The explorer page: a sigma.js (WebGL) canvas over a graphology graph, fed only by /graphql.
import "./styles.css";

import { MultiDirectedGraph } from "graphology";
import type { Attributes } from "graphology-types";
import forceAtlas2 from "graphology-layout-forceatlas2";
import FA2Layout from "graphology-layout-forceatlas2/worker";
import Sigma from "sigma";
import { EdgeLineProgram, EdgeRectangleProgram } from "sigma/rendering";
import { animateNodes } from "sigma/utils";
import { toBlob } from "@sigma/export-image";

import * as api from "./api";
import type { ApiEdge, ApiNode, Kind, Path, TieKind } from "./api";
import { download, edgesCsv, nodesCsv, toGexf, toGraphML } from "./export";
import { label, lang, setLang, t, translatePage, type Lang } from "./i18n";
import { GAP_COLORS, colorOf, legendFor, sizeOf, type SizeBy } from "./style";

// --- state ------------------------------------------------------------------------------------

type GapKind = "uncovered" | "blank" | "unclear" | "marginal";
type Tab = "details" | "paths" | "partners" | "gaps";
interface UnitPick {
  id: string;
  name: string;
}

const today = new Date().toISOString().slice(0, 10);
const state = {
  layout: "force" as "force" | "geo",
  sizeBy: "none" as SizeBy,
  asOf: today,
  region: "",
  sector: "",
  hiddenKinds: new Set<Kind>(),
  expandTies: new Set<TieKind>(api.TIE_KINDS),
  selected: null as string | null,
  tab: "details" as Tab,
  pathFrom: null as UnitPick | null,
  pathTo: null as UnitPick | null,
  horizontal: false,
  partnerUnit: null as UnitPick | null,
  gaps: false,
};
const nodeData = new Map<string, ApiNode>();
const gapInfo = new Map<string, { kind: GapKind; reason: string }>();
let highlight: { nodes: Set<string>; edges: Set<string> } | null = null;
let betweenness = new Map<string, number>();
let regionOptions: api.RegionRef[] = [];

const graph = new MultiDirectedGraph();
const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const container = $("graph");

// --- rendering --------------------------------------------------------------------------------

const DIM_NODE = "#e4e7ec";
const DIM_EDGE = "#eef0f3";
const TIE_COLORS: Record<string, string> = {
  HIERARCHY: "#9aa4b2",
  AGREEMENT: "#e7b549",
  MEMBERSHIP: "#f3a3a3",
  EMPLOYMENT: "#a9bfe3",
  REPORTING: "#d6a4e0",
  RESOURCE: "#8cc8f5",
  SKILL: "#c8ccd2",
  DEMAND: "#c8ccd2",
  PLACE: "#d9dde3",
};

const renderer = new Sigma(graph, container, {
  renderEdgeLabels: false,
  labelFont:
    '"PingFang SC", "Hiragino Sans GB", "Noto Sans CJK SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif',
  labelSize: 12,
  labelWeight: "500",
  labelColor: { color: "#1f2430" },
  labelDensity: 0.6,
  labelGridCellSize: 90,
  labelRenderedSizeThreshold: 7,
  defaultEdgeColor: "#d9dde3",
  // "thin" edges are 1-pixel GL lines: far cheaper than rectangles where WebGL runs in software.
  edgeProgramClasses: { line: EdgeRectangleProgram, thin: EdgeLineProgram },
  zIndex: true,
  minCameraRatio: 0.02,
  maxCameraRatio: 20,
  nodeReducer: (node, data) => {
    const out: Attributes = { ...data };
    const gap = state.gaps ? gapInfo.get(node) : undefined;
    if (state.gaps) {
      if (gap) {
        out.color = GAP_COLORS[gap.kind];
        out.size = Math.max(Number(data.size), 8);
        out.zIndex = 2;
        out.forceLabel = true;
      } else {
        out.color = DIM_NODE;
        out.label = "";
        out.zIndex = 0;
      }
    }
    if (highlight) {
      if (highlight.nodes.has(node)) {
        out.zIndex = 3;
        out.forceLabel = true;
        out.size = Math.max(Number(data.size), 8);
      } else {
        out.color = DIM_NODE;
        out.label = "";
        out.zIndex = 0;
      }
    }
    if (node === state.selected) {
      out.highlighted = true;
      out.forceLabel = true;
      out.zIndex = 4;
    }
    return out;
  },
  edgeReducer: (edge, data) => {
    const out: Attributes = { ...data };
    const [source, target] = graph.extremities(edge);
    if (graph.getNodeAttribute(source, "hidden") || graph.getNodeAttribute(target, "hidden")) {
      out.hidden = true;
      return out;
    }
    if (highlight) {
      if (highlight.edges.has(edge)) {
        out.color = "#c8102e";
        out.size = 3;
        out.zIndex = 2;
      } else {
        out.color = DIM_EDGE;
      }
    } else if (state.gaps) {
      out.color = DIM_EDGE;
    } else if (state.selected && (source === state.selected || target === state.selected)) {
      out.color = "#5b6474";
      out.size = 1.6;
    }
    return out;
  },
});

let fa2: FA2Layout | null = null;
let layoutTimer: number | undefined;

function runForce(ms = 1500): void {
  if (state.layout !== "force" || graph.order === 0) return;
  stopForce();
  const settings = forceAtlas2.inferSettings(graph);
  fa2 = new FA2Layout(graph, {
    settings: { ...settings, barnesHutOptimize: graph.order > 400, gravity: 1, scalingRatio: 8, slowDown: 4 },
  });
  fa2.start();
  document.body.dataset.layout = "running";
  layoutTimer = window.setTimeout(stopForce, Math.min(ms + 2 * graph.order, 6000));
}

function stopForce(): void {
  window.clearTimeout(layoutTimer);
  if (fa2) {
    fa2.kill();
    fa2 = null;
  }
  document.body.dataset.layout = "idle";
}

function geoPositions(): Record<string, { x: number; y: number }> {
  const located = graph.filterNodes((_, a) => a.lat != null && a.lon != null);
  if (located.length === 0) return {};
  const lat0 = located.reduce((s, n) => s + Number(graph.getNodeAttribute(n, "lat")), 0) / located.length;
  const lon0 = located.reduce((s, n) => s + Number(graph.getNodeAttribute(n, "lon")), 0) / located.length;
  const k = Math.cos((lat0 * Math.PI) / 180);
  const positions: Record<string, { x: number; y: number }> = {};
  // Nodes sharing a point (inherited from one region) are spread on a small spiral.
  const seen = new Map<string, number>();
  for (const node of located) {
    const lat = Number(graph.getNodeAttribute(node, "lat"));
    const lon = Number(graph.getNodeAttribute(node, "lon"));
    const cell = `${lat.toFixed(5)},${lon.toFixed(5)}`;
    const i = seen.get(cell) ?? 0;
    seen.set(cell, i + 1);
    const angle = i * 2.4;
    const radius = i === 0 ? 0 : 0.6 * Math.sqrt(i);
    positions[node] = {
      x: (lon - lon0) * k * 10000 + radius * Math.cos(angle),
      y: (lat - lat0) * 10000 + radius * Math.sin(angle),
    };
  }
  // Agreements and skills have no place: the mean of their placed neighbours.
  graph.forEachNode((node) => {
    if (positions[node]) return;
    const around = graph.neighbors(node).filter((n) => positions[n]);
    if (around.length === 0) return;
    const x = around.reduce((s, n) => s + positions[n].x, 0) / around.length;
    const y = around.reduce((s, n) => s + positions[n].y, 0) / around.length;
    positions[node] = { x: x + (Math.random() - 0.5), y: y + (Math.random() - 0.5) };
  });
  return positions;
}

function applyLayout(animate = true): void {
  if (state.layout === "geo") {
    stopForce();
    const positions = geoPositions();
    if (animate) animateNodes(graph, positions, { duration: 500 }, () => renderer.refresh());
    else for (const [n, p] of Object.entries(positions)) graph.mergeNodeAttributes(n, p);
  } else {
    runForce();
  }
}

// --- graph contents ---------------------------------------------------------------------------

function edgeKey(e: ApiEdge): string {
  return `${e.source}>${e.relationship}>${e.target}`;
}

function addData(nodes: ApiNode[], edges: ApiEdge[], near: string | null = null): number {
  let added = 0;
  const origin = near && graph.hasNode(near) ? graph.getNodeAttributes(near) : null;
  for (const node of nodes) {
    nodeData.set(node.id, node);
    if (graph.hasNode(node.id)) {
      graph.mergeNodeAttributes(node.id, nodeAttributes(node));
      continue;
    }
    const angle = Math.random() * Math.PI * 2;
    const radius = origin ? 2 + Math.random() * 6 : 30 * Math.sqrt(Math.random());
    graph.addNode(node.id, {
      ...nodeAttributes(node),
      x: (origin ? Number(origin.x) : 0) + radius * Math.cos(angle),
      y: (origin ? Number(origin.y) : 0) + radius * Math.sin(angle),
    });
    added += 1;
  }
  for (const edge of edges) {
    const key = edgeKey(edge);
    if (graph.hasEdge(key) || !graph.hasNode(edge.source) || !graph.hasNode(edge.target)) continue;
    graph.addDirectedEdgeWithKey(key, edge.source, edge.target, {
      relationship: edge.relationship,
      tie: edge.tie,
      color: TIE_COLORS[edge.tie] ?? "#d9dde3",
      size: edge.tie === "HIERARCHY" ? 1.2 : 0.9,
    });
  }
  restyle();
  return added;
}

function nodeAttributes(node: ApiNode): Attributes {
  return {
    label: node.name,
    kind: node.kind,
    category: node.category,
    sector: node.sector,
    employees: node.employees,
    members: node.members,
    lat: node.lat,
    lon: node.lon,
    color: colorOf(node),
    size: sizeOf(node, state.sizeBy, betweenness),
  };
}

function visible(node: ApiNode): boolean {
  if (state.hiddenKinds.has(node.kind)) return false;
  if (state.sector && node.kind === "ORGANIZATION" && node.sector !== state.sector) return false;
  if (state.region && node.regions.length > 0 && !node.regions.includes(state.region)) return false;
  if (node.validTo && node.validTo < state.asOf) return false;
  if (node.validFrom && node.validFrom > state.asOf) return false;
  return true;
}

// Large views drop edges and labels while the camera moves (sigma's own switches): panning
// stays fluid where a software-rendered browser could not redraw thousands of edges per frame.
const LARGE_VIEW = 1500;

function restyle(): void {
  const large = graph.order > LARGE_VIEW;
  if (renderer.getSetting("hideEdgesOnMove") !== large) {
    renderer.setSetting("hideEdgesOnMove", large);
    renderer.setSetting("hideLabelsOnMove", large);
  }
  const edgeType = large ? "thin" : "line";
  graph.forEachEdge((edge, attrs) => {
    if (attrs.type !== edgeType) graph.setEdgeAttribute(edge, "type", edgeType);
  });
  graph.forEachNode((id) => {
    const node = nodeData.get(id);
    if (!node) return;
    graph.mergeNodeAttributes(id, {
      color: colorOf(node),
      size: sizeOf(node, state.sizeBy, betweenness),
      hidden: !visible(node) && id !== state.selected,
    });
  });
  // Agreements and skills have no place: under a region filter they show only beside
  // something shown, instead of floating unattached.
  if (state.region) {
    graph.forEachNode((id, attrs) => {
      const node = nodeData.get(id);
      if (!node || attrs.hidden || node.regions.length > 0 || id === state.selected) return;
      const anchored = graph.neighbors(id).some((n) => nodeData.get(n)?.regions.length && !graph.getNodeAttribute(n, "hidden"));
      if (!anchored) graph.setNodeAttribute(id, "hidden", true);
    });
  }
  renderLegend();
  renderCounts();
  $("empty-state").hidden = graph.order > 0;
  saveUrlSoon();
}

function renderCounts(): void {
  const shown = graph.filterNodes((_, a) => !a.hidden).length;
  $("graph-counts").textContent = t("count.nodes", { n: shown, e: graph.size });
  document.body.dataset.nodes = String(graph.order);
  document.body.dataset.edges = String(graph.size);
}

function renderLegend(): void {
  const root = $("legend");
  root.replaceChildren();
  if (state.gaps) {
    const group = el("div");
    group.append(el("div", "legend-group-title", t("legend.gaps")));
    const onCanvas = new Map<GapKind, number>();
    for (const [id, gap] of gapInfo) if (graph.hasNode(id)) onCanvas.set(gap.kind, (onCanvas.get(gap.kind) ?? 0) + 1);
    for (const kind of Object.keys(GAP_COLORS) as GapKind[]) {
      group.append(legendItem(GAP_COLORS[kind], t(`gap.${kind}`), onCanvas.get(kind) ?? 0));
    }
    root.append(group);
  }
  const nodes = graph.filterNodes((_, a) => !a.hidden).map((id) => nodeData.get(id)).filter((n): n is ApiNode => !!n);
  if (nodes.length === 0) {
    root.append(el("div", "muted", t("legend.empty")));
    return;
  }
  for (const legend of legendFor(nodes)) {
    const group = el("div");
    group.append(el("div", "legend-group-title", legend.title));
    for (const item of legend.items) {
      const row = legendItem(item.color, item.text + (item.star ? " ★" : ""), item.count);
      if (item.star) row.classList.add("star");
      group.append(row);
    }
    root.append(group);
  }
}

function legendItem(color: string, text: string, count: number): HTMLElement {
  const row = el("div", "legend-item");
  const dot = el("span", "dot");
  dot.style.background = color;
  row.append(dot, el("span", "", text), el("span", "count", String(count)));
  return row;
}

function el(tag: string, className = "", text = ""): HTMLElement {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

// --- actions ----------------------------------------------------------------------------------

function toast(message: string, info = false): void {
  const box = $("toast");
  box.textContent = message;
  box.className = info ? "toast info" : "toast";
  box.hidden = false;
  window.clearTimeout(Number(box.dataset.timer));
  box.dataset.timer = String(window.setTimeout(() => (box.hidden = true), info ? 3000 : 7000));
}

async function guarded<T>(work: () => Promise<T>, where?: HTMLElement): Promise<T | undefined> {
  try {
    return await work();
  } catch (exc) {
    const message = exc instanceof Error ? exc.message : String(exc);
    toast(message);
    if (where) {
      where.replaceChildren(el("div", "error-note", message));
    }
    return undefined;
  }
}

function loadingInto(where: HTMLElement): void {
  const note = el("div", "loading-note");
  note.append(el("span", "spinner"), el("span", "", t("loading")));
  where.replaceChildren(note);
}

async function openNodes(ids: string[], expand = false): Promise<void> {
  const found = await api.subgraph(ids, state.asOf);
  addData(found.nodes, found.edges);
  if (expand && found.nodes.length > 0) {
    await expand_(found.nodes.map((n) => n.id), null, 80);
  } else {
    applyLayout();
  }
}

// Nodes whose every neighbour has been asked for: growing a view expands only the frontier.
const expandedAll = new Set<string>();

async function expand_(ids: string[], ties: TieKind[] | null, limit = 200): Promise<number> {
  const result = await api.neighbourhood(ids, ties, state.asOf, limit);
  if (!ties || ties.length === api.TIE_KINDS.length) for (const id of ids) if (!result.truncated) expandedAll.add(id);
  const added = addData(result.nodes, result.edges, ids.length === 1 ? ids[0] : null);
  applyLayout();
  if (result.truncated) toast(t("details.truncated", { n: result.nodes.length, total: result.total }), true);
  else toast(t("details.added", { n: added }), true);
  return added;
}

/** Expands every node of the canvas not expanded yet, 100 at a time (grows large views). */
async function expandAll(limitPerCall = 500): Promise<number> {
  const frontier = graph.filterNodes((id) => !expandedAll.has(id));
  let added = 0;
  for (let i = 0; i < frontier.length; i += 100) {
    const batch = frontier.slice(i, i + 100);
    const result = await api.neighbourhood(batch, null, state.asOf, limitPerCall);
    added += addData(result.nodes, result.edges);
    if (!result.truncated) for (const id of batch) expandedAll.add(id);
  }
  applyLayout(false);
  return added;
}

function collapse(id: string): void {
  const keep = new Set([state.selected, ...(highlight?.nodes ?? [])]);
  for (const neighbour of graph.neighbors(id)) {
    if (graph.degree(neighbour) <= 1 && !graph.getNodeAttribute(neighbour, "fixed") && !keep.has(neighbour)) {
      graph.dropNode(neighbour);
      nodeData.delete(neighbour);
    }
  }
  restyle();
}

function togglePin(id: string): void {
  const fixed = !graph.getNodeAttribute(id, "fixed");
  graph.setNodeAttribute(id, "fixed", fixed);
  renderDetails();
  saveUrlSoon();
}

function select(id: string | null): void {
  state.selected = id && graph.hasNode(id) ? id : null;
  document.body.dataset.selected = state.selected ?? "";
  if (state.selected) showTab("details");
  renderDetails();
  renderer.refresh();
  saveUrlSoon();
}

function focusNode(id: string): void {
  const display = renderer.getNodeDisplayData(id);
  if (display) renderer.getCamera().animate({ x: display.x, y: display.y, ratio: 0.6 }, { duration: 400 });
}

// --- details panel ----------------------------------------------------------------------------

let detailsToken = 0;

async function renderDetails(): Promise<void> {
  const root = $("tab-details");
  const id = state.selected;
  const node = id ? nodeData.get(id) : undefined;
  if (!id || !node) {
    root.replaceChildren(el("p", "muted", t("details.empty")));
    return;
  }
  const token = ++detailsToken;
  const head = el("div", "detail-head");
  const dot = el("span", "dot");
  dot.style.background = colorOf(node);
  const title = el("div");
  title.append(el("div", "detail-name", node.name), el("div", "detail-kind", detailKindLine(node)));
  head.append(dot, title);

  const actions = el("div", "row");
  actions.style.marginTop = "10px";
  const pinned = Boolean(graph.getNodeAttribute(id, "fixed"));
  actions.append(
    button(t("details.expand"), "btn btn-primary btn-small", () => guarded(() => expand_([id], [...state.expandTies]))),
    button(t("details.collapse"), "btn btn-small", () => collapse(id)),
    button(pinned ? t("details.unpin") : t("details.pin"), "btn btn-small", () => togglePin(id)),
  );
  if (node.kind === "ORGANIZATION" || node.kind === "PARTY_ORG") {
    const unit = { id, name: node.name };
    actions.append(
      button(t("details.asFrom"), "btn btn-small btn-ghost", () => pickUnit("from", unit)),
      button(t("details.asTo"), "btn btn-small btn-ghost", () => pickUnit("to", unit)),
      button(t("details.partners"), "btn btn-small btn-ghost", () => pickUnit("partner", unit)),
    );
  }
  const ties = el("div", "chips");
  for (const tie of api.TIE_KINDS) {
    const chip = el("span", state.expandTies.has(tie) ? "chip on" : "chip", label("tie", tie));
    chip.dataset.tie = tie;
    chip.onclick = () => {
      if (state.expandTies.has(tie)) state.expandTies.delete(tie);
      else state.expandTies.add(tie);
      chip.classList.toggle("on");
    };
    ties.append(chip);
  }
  const body = el("div");
  loadingInto(body);
  const gap = gapInfo.get(id);
  const why = gap ? [el("div", "section-title", t("details.why")), el("div", "why", `${t(`gap.${gap.kind}`)}${lang() === "zh" ? "：" : ": "}${gap.reason}`)] : [];
  root.replaceChildren(head, ...why, actions, el("div", "section-title", t("details.expandBy")), ties, body);

  const entity = await guarded(() => api.details(node.kind, id), body);
  if (!entity || token !== detailsToken) return;
  body.replaceChildren(propsList(node, entity));
}

function detailKindLine(node: ApiNode): string {
  const parts = [t(`kind.${node.kind}`)];
  if (node.kind === "ORGANIZATION") parts.push(label("orgkind", node.category), label("sector", node.sector));
  if (node.kind === "PARTY_ORG") parts.push(label("potype", node.category));
  if (node.kind === "RESOURCE") parts.push(label("reskind", node.category));
  return parts.join(" · ");
}

function propsList(node: ApiNode, e: Record<string, unknown>): HTMLElement {
  const dl = el("dl", "props");
  const add = (key: string, value: unknown): void => {
    if (value === null || value === undefined || value === "" || (Array.isArray(value) && value.length === 0)) return;
    dl.append(el("dt", "", t(key)), el("dd", "", String(value)));
  };
  const name = (v: unknown): string | null => (v && typeof v === "object" ? String((v as { name: string }).name) : null);
  add("prop.id", node.id);
  switch (node.kind) {
    case "ORGANIZATION":
      add("prop.employees", e.employees);
      add("prop.address", e.address);
      add("prop.region", name(e.region));
      break;
    case "PARTY_ORG":
      add("prop.members", (e.members as { totalCount: number }).totalCount);
      add("prop.region", name(e.region));
      add("prop.validity", [e.foundedOn, e.validTo].filter(Boolean).join(" – "));
      add("prop.active", node.active ? t("active") : t("inactive"));
      break;
    case "PERSON":
      add("prop.partyMember", e.isPartyMember ? t("yes") : t("no"));
      add("prop.roles", (e.roles as string[]).map((r) => label("role", r)).join("、"));
      add("prop.occupation", e.occupation);
      // The API masks phone numbers unless the caller may see them: shown as given.
      add("prop.phone", e.phone);
      add("prop.employer", name(e.employer));
      add("prop.skills", (e.skills as { level: number; skill: { name: string } }[]).map((s) => `${s.skill.name} L${s.level}`).join("、"));
      break;
    case "RESOURCE":
      add("prop.status", e.status);
      add("prop.scenarios", (e.scenarios as string[]).join("、"));
      add("prop.validity", [e.availableFrom, e.availableTo].filter(Boolean).join(" – "));
      add("prop.owner", name(e.owner));
      break;
    case "AGREEMENT":
      add("prop.topics", (e.topics as string[]).join("、"));
      add("prop.validity", [e.signedOn, e.expiresOn ?? "…"].filter(Boolean).join(" – "));
      add("prop.active", node.active ? t("active") : t("inactive"));
      add("prop.parties", (e.parties as { lead: boolean; unit: { name: string } }[]).map((p) => p.unit.name + (p.lead ? " ★" : "")).join("、"));
      break;
    case "REGION":
      add("prop.category", e.level);
      add("prop.population", e.population);
      break;
    default:
      break;
  }
  if (node.lat != null && node.lon != null) {
    add("prop.location", `${node.lat.toFixed(5)}, ${node.lon.toFixed(5)} ${node.locationInherited ? t("prop.inherited") : ""}`);
  }
  return dl;
}

function button(text: string, className: string, onClick: () => unknown): HTMLButtonElement {
  const b = el("button", className, text) as HTMLButtonElement;
  b.type = "button";
  b.onclick = async () => {
    b.disabled = true;
    try {
      await onClick();
    } finally {
      b.disabled = false;
    }
  };
  return b;
}

// --- pathways ---------------------------------------------------------------------------------

function pickUnit(role: "from" | "to" | "partner", unit: UnitPick): void {
  if (role === "from") state.pathFrom = unit;
  if (role === "to") state.pathTo = unit;
  if (role === "partner") state.partnerUnit = unit;
  syncForms();
  showTab(role === "partner" ? "partners" : "paths");
  saveUrlSoon();
}

function syncForms(): void {
  $<HTMLInputElement>("path-from-name").value = state.pathFrom?.name ?? "";
  $<HTMLInputElement>("path-to-name").value = state.pathTo?.name ?? "";
  $<HTMLInputElement>("partner-unit-name").value = state.partnerUnit?.name ?? "";
  $<HTMLInputElement>("path-horizontal").checked = state.horizontal;
}

function selectedUnit(): UnitPick | null {
  const node = state.selected ? nodeData.get(state.selected) : undefined;
  return node && (node.kind === "ORGANIZATION" || node.kind === "PARTY_ORG") ? { id: node.id, name: node.name } : null;
}

function highlightPath(path: Path): void {
  const nodes = new Set(path.nodes.map((n) => n.id));
  const edges = new Set<string>();
  for (const step of path.steps) {
    for (const tie of step.ties) {
      const key = `${tie.startId}>${tie.relationship}>${tie.endId}`;
      if (graph.hasEdge(key)) edges.add(key);
    }
  }
  highlight = { nodes, edges };
  document.body.dataset.highlight = [...nodes].join(",");
  renderer.refresh();
}

async function runPathways(): Promise<void> {
  const out = $("paths-result");
  if (!state.pathFrom || !state.pathTo) {
    out.replaceChildren(el("div", "error-note", t("paths.needUnits")));
    return;
  }
  loadingInto(out);
  const paths = await guarded(() => api.pathways(state.pathFrom!.id, state.pathTo!.id, state.horizontal, state.asOf), out);
  if (!paths) return;
  if (paths.length === 0) {
    highlight = null;
    renderer.refresh();
    out.replaceChildren(el("div", "muted", t("paths.none")));
    return;
  }
  const ids = paths.flatMap((p) => p.nodes.map((n) => n.id));
  const found = await guarded(() => api.subgraph(ids, state.asOf), out);
  if (!found) return;
  addData(found.nodes, found.edges);
  applyLayout();
  const items = paths.map((path, i) => {
    const item = el("div", "item path-item");
    const head = el("div", "item-title");
    head.append(el("span", "rank", `#${i + 1}`), el("span", "", path.nodes.map((n) => n.name).join(" → ")));
    head.append(el("span", "score", t("paths.hops", { n: path.length })));
    item.append(head, el("p", "explanation", path.explanation));
    item.onclick = () => {
      out.querySelectorAll(".item").forEach((x) => x.classList.remove("on"));
      item.classList.add("on");
      highlightPath(path);
    };
    return item;
  });
  out.replaceChildren(...items);
  items[0].classList.add("on");
  highlightPath(paths[0]);
}

// --- partners ---------------------------------------------------------------------------------

const RESOURCE_KINDS = ["VENUE", "FUND", "EQUIPMENT", "SERVICE", "VOLUNTEER_TEAM", "EXPERTISE", "DATA", "OTHER"];
const partnerKinds = new Set<string>();

async function runPartners(): Promise<void> {
  const out = $("partners-result");
  const unit = state.partnerUnit;
  if (!unit) {
    out.replaceChildren(el("div", "error-note", t("partners.needUnit")));
    return;
  }
  const scenario = $<HTMLInputElement>("partner-scenario").value.trim() || null;
  const skills = $<HTMLInputElement>("partner-skills").value.split(/[,，、]/).map((s) => s.trim()).filter(Boolean);
  const need = scenario || skills.length || partnerKinds.size ? { scenario, skills, resourceKinds: [...partnerKinds] } : null;
  const radius = Number($<HTMLInputElement>("partner-radius").value) || 3;
  loadingInto(out);
  const result = await guarded(() => api.partners(unit.id, need, radius, state.asOf), out);
  if (!result) return;
  if (result.partners.length === 0) {
    out.replaceChildren(el("div", "muted", t("partners.none")));
    highlight = null;
    renderer.refresh();
    return;
  }
  const ids = [unit.id, ...result.partners.map((p) => p.unit.id)];
  const found = await guarded(() => api.subgraph(ids, state.asOf), out);
  if (!found) return;
  addData(found.nodes, found.edges);
  applyLayout();
  highlight = { nodes: new Set(ids), edges: new Set() };
  document.body.dataset.highlight = ids.join(",");
  renderer.refresh();
  const items = result.partners.map((p) => {
    const item = el("div", "item partner-item");
    const head = el("div", "item-title");
    head.append(el("span", "rank", `#${p.rank}`), el("span", "", p.unit.name), el("span", "score", p.score === null ? "—" : p.score.toFixed(3)));
    const evidence = [...p.resources.map((r) => r.name), ...p.people.map((x) => x.name)].slice(0, 4).join("、");
    const meta = el("p", "muted", p.distanceKm === null ? t("partners.outside") : `${p.distanceKm.toFixed(2)} km · ${evidence}`);
    const bars = el("div", "bars");
    for (const c of p.components) {
      const bar = el("div", "bar");
      const fill = el("span");
      fill.style.width = `${Math.round(Math.max(0, Math.min(1, c.value)) * 100)}%`;
      bar.append(fill);
      bar.title = c.detail;
      bars.append(el("span", "", label("comp", c.name)), bar, el("span", "num", c.contribution.toFixed(3)));
    }
    item.append(head, meta, bars);
    item.onclick = () => {
      select(p.unit.id);
      focusNode(p.unit.id);
    };
    return item;
  });
  out.replaceChildren(el("div", "muted", t("partners.total", { n: result.total, k: result.partners.length })), ...items);
}

// --- coverage gaps ----------------------------------------------------------------------------

async function runGaps(): Promise<void> {
  const out = $("gaps-result");
  loadingInto(out);
  const report = await guarded(() => api.coverage(state.region || null, state.asOf), out);
  if (!report) return;
  gapInfo.clear();
  for (const item of report.uncoveredOrganizations.items) gapInfo.set(item.id, { kind: "uncovered", reason: item.reason });
  for (const level of report.blankAreas) for (const item of level.items) gapInfo.set(item.region.id, { kind: "blank", reason: item.reason });
  for (const item of report.unclearAffiliations.items) gapInfo.set(item.partyOrg.id, { kind: "unclear", reason: item.reason });
  for (const item of report.marginalUnits.items) if (!gapInfo.has(item.id)) gapInfo.set(item.id, { kind: "marginal", reason: item.reason });
  const ids = [...gapInfo.keys()].slice(0, 1500);
  const found = await guarded(() => api.subgraph(ids, state.asOf), out);
  if (!found) return;
  addData(found.nodes, found.edges);
  state.gaps = true;
  highlight = null;
  document.body.dataset.gaps = String(gapInfo.size);
  gapsShown = found.nodes.length;
  renderBadge();
  applyLayout();
  restyle();
  renderer.refresh();

  const stats = el("div", "gap-stats");
  const counts: Record<GapKind, number> = {
    uncovered: report.uncoveredOrganizations.page.total,
    blank: report.blankAreas.reduce((s, l) => s + l.page.total, 0),
    unclear: report.unclearAffiliations.page.total,
    marginal: report.marginalUnits.page.total,
  };
  for (const kind of Object.keys(counts) as GapKind[]) {
    const box = el("div", "gap-stat");
    box.dataset.gap = kind;
    const lbl = el("div", "lbl");
    const dot = el("span", "dot");
    dot.style.background = GAP_COLORS[kind];
    lbl.append(dot, el("span", "", t(`gap.${kind}`)));
    box.append(el("div", "big", String(counts[kind])), lbl);
    stats.append(box);
  }
  // Counts per region: the four kinds side by side.
  const perRegion = new Map<string, { name: string; c: Record<GapKind, number> }>();
  const addCounts = (kind: GapKind, rows: { region: api.RegionRef; count: number }[]): void => {
    for (const row of rows) {
      const entry = perRegion.get(row.region.id) ?? { name: row.region.name, c: { uncovered: 0, blank: 0, unclear: 0, marginal: 0 } };
      entry.c[kind] += row.count;
      perRegion.set(row.region.id, entry);
    }
  };
  addCounts("uncovered", report.uncoveredOrganizations.counts);
  for (const level of report.blankAreas) addCounts("blank", level.counts);
  addCounts("unclear", report.unclearAffiliations.counts);
  addCounts("marginal", report.marginalUnits.counts);
  const regionTable = table(
    [t("gaps.region"), ...(["uncovered", "blank", "unclear", "marginal"] as GapKind[]).map((k) => t(`gap.${k}`))],
    [...perRegion.values()].map((r) => [r.name, r.c.uncovered, r.c.blank, r.c.unclear, r.c.marginal]),
  );
  regionTable.id = "gaps-by-region";
  const ratioTable = table(
    [t("gaps.sector"), t("gaps.members"), t("gaps.employees"), t("gaps.ratio")],
    report.memberRatios.total.sectors.map((s) => [
      label("sector", s.sector),
      s.ratio.numerator,
      s.ratio.denominator,
      s.ratio.percent == null ? "—" : `${s.ratio.percent.toFixed(2)}%`,
    ]),
  );
  ratioTable.id = "member-ratios";
  const list = el("div", "result");
  for (const [id, info] of [...gapInfo.entries()].slice(0, 60)) {
    const node = nodeData.get(id);
    const item = el("div", "item gap-item");
    item.dataset.id = id;
    const head = el("div", "item-title");
    const dot = el("span", "dot");
    dot.style.background = GAP_COLORS[info.kind];
    head.append(dot, el("span", "", node?.name ?? id));
    item.append(head, el("p", "muted", info.reason));
    item.onclick = () => {
      select(id);
      focusNode(id);
    };
    list.append(item);
  }
  out.replaceChildren(
    el("div", "muted", t("gaps.scope", { region: report.scope.region.name, date: report.scope.asOf })),
    stats,
    el("div", "section-title", t("gaps.byRegion")),
    regionTable,
    el("div", "section-title", t("gaps.ratios")),
    ratioTable,
    list,
  );
  saveUrlSoon();
}

let gapsShown = 0;

function renderBadge(): void {
  const badge = $("overlay-badge");
  badge.hidden = !state.gaps;
  badge.textContent = `${t("gaps.overlay")} · ${t("gaps.shownOf", { n: gapsShown })}`;
}

function clearGaps(): void {
  state.gaps = false;
  gapInfo.clear();
  document.body.dataset.gaps = "0";
  $("overlay-badge").hidden = true;
  $("gaps-result").replaceChildren();
  restyle();
  renderer.refresh();
}

function table(header: string[], rows: (string | number)[][]): HTMLTableElement {
  const tbl = el("table", "tbl") as HTMLTableElement;
  const head = el("tr");
  header.forEach((h, i) => head.append(el("th", i > 0 ? "n" : "", h)));
  tbl.append(head);
  for (const row of rows) {
    const tr = el("tr");
    row.forEach((v, i) => tr.append(el("td", i > 0 ? "n" : "", String(v))));
    tbl.append(tr);
  }
  return tbl;
}

// --- search -----------------------------------------------------------------------------------

let searchTimer: number | undefined;
let searchToken = 0;

async function runSearch(text: string): Promise<void> {
  const list = $("search-results");
  const token = ++searchToken;
  if (!text.trim()) {
    list.hidden = true;
    return;
  }
  $("search-spinner").hidden = false;
  const hits = await guarded(() => api.search(text.trim()));
  if (token !== searchToken) return;
  $("search-spinner").hidden = true;
  if (!hits) return;
  list.replaceChildren();
  if (hits.length === 0) list.append(el("li", "empty", t("search.none")));
  for (const hit of hits) {
    const item = el("li");
    const kind = api.TYPENAME_KIND[hit.typename];
    const dot = el("span", "dot");
    dot.style.background = colorOf({ kind, roles: [], sector: null, category: null, isPartyMember: null } as unknown as ApiNode);
    item.append(dot, el("span", "hit-name", hit.name), el("span", "hit-kind", t(`kind.${kind}`)));
    item.dataset.id = hit.id;
    item.onclick = () => openHit(hit.id);
    list.append(item);
  }
  list.hidden = false;
}

async function openHit(id: string): Promise<void> {
  $("search-results").hidden = true;
  await guarded(async () => {
    await openNodes([id], true);
    select(id);
    renderer.getCamera().animatedReset({ duration: 300 });
  });
}

// --- URL state --------------------------------------------------------------------------------

let urlTimer: number | undefined;
// The link as opened: nothing may rewrite it before restore() has read it.
const openedWith = location.hash.slice(1);
let restoring = true;

function saveUrlSoon(): void {
  if (restoring) return;
  window.clearTimeout(urlTimer);
  urlTimer = window.setTimeout(saveUrl, 250);
}

function viewUrl(): string {
  const p = new URLSearchParams();
  p.set("lang", lang());
  if (state.layout !== "force") p.set("layout", state.layout);
  if (state.sizeBy !== "none") p.set("size", state.sizeBy);
  if (state.asOf !== today) p.set("asOf", state.asOf);
  if (state.region) p.set("region", state.region);
  if (state.sector) p.set("sector", state.sector);
  if (state.hiddenKinds.size) p.set("hide", [...state.hiddenKinds].join(","));
  const ids = graph.nodes();
  // Views above 500 nodes are not kept in a link: it would not fit in a URL anyway.
  if (ids.length && ids.length <= 500) p.set("nodes", ids.join(","));
  const pins = graph.filterNodes((_, a) => a.fixed).map((n) => {
    const a = graph.getNodeAttributes(n);
    return `${n}@${Number(a.x).toFixed(1)}@${Number(a.y).toFixed(1)}`;
  });
  if (pins.length && pins.length <= 100) p.set("pins", pins.join(","));
  if (state.selected) p.set("sel", state.selected);
  if (state.pathFrom) p.set("from", `${state.pathFrom.id}@${state.pathFrom.name}`);
  if (state.pathTo) p.set("to", `${state.pathTo.id}@${state.pathTo.name}`);
  if (state.horizontal) p.set("h", "1");
  if (state.partnerUnit) p.set("unit", `${state.partnerUnit.id}@${state.partnerUnit.name}`);
  if (state.gaps) p.set("gaps", "1");
  p.set("tab", state.tab);
  return `${location.pathname}#${p.toString()}`;
}

function saveUrl(): void {
  history.replaceState(null, "", viewUrl());
}

function unitFrom(value: string | null): UnitPick | null {
  if (!value) return null;
  const at = value.indexOf("@");
  return at < 0 ? { id: value, name: value } : { id: value.slice(0, at), name: value.slice(at + 1) };
}

async function restore(): Promise<void> {
  const p = new URLSearchParams(openedWith);
  restoring = true;
  try {
    const l = p.get("lang");
    if (l === "en" || l === "zh") switchLang(l);
    state.layout = p.get("layout") === "geo" ? "geo" : "force";
    state.sizeBy = (p.get("size") as SizeBy | null) ?? "none";
    state.asOf = p.get("asOf") ?? today;
    state.region = p.get("region") ?? "";
    state.sector = p.get("sector") ?? "";
    state.hiddenKinds = new Set((p.get("hide") ?? "").split(",").filter(Boolean) as Kind[]);
    state.pathFrom = unitFrom(p.get("from"));
    state.pathTo = unitFrom(p.get("to"));
    state.horizontal = p.get("h") === "1";
    state.partnerUnit = unitFrom(p.get("unit"));
    syncControls();
    syncForms();
    const ids = (p.get("nodes") ?? "").split(",").filter(Boolean);
    if (ids.length) {
      const found = await api.subgraph(ids, state.asOf);
      addData(found.nodes, found.edges);
      for (const pin of (p.get("pins") ?? "").split(",").filter(Boolean)) {
        const [id, x, y] = pin.split("@");
        if (graph.hasNode(id)) graph.mergeNodeAttributes(id, { x: Number(x), y: Number(y), fixed: true });
      }
      applyLayout(false);
    }
    const sel = p.get("sel");
    if (sel) select(sel);
    const tab = (p.get("tab") as Tab | null) ?? "details";
    showTab(tab);
    if (p.get("gaps") === "1") await runGaps();
    else if (tab === "paths" && state.pathFrom && state.pathTo) await runPathways();
  } finally {
    restoring = false;
    saveUrl();
  }
}

// --- controls ---------------------------------------------------------------------------------

function showTab(tab: Tab): void {
  state.tab = tab;
  document.querySelectorAll<HTMLElement>("#tabs button").forEach((b) => b.classList.toggle("on", b.dataset.tab === tab));
  document.querySelectorAll<HTMLElement>(".tab-body").forEach((b) => b.classList.toggle("on", b.id === `tab-${tab}`));
  if (tab !== "paths" && tab !== "partners" && highlight && !state.selected) {
    highlight = null;
    renderer.refresh();
  }
  saveUrlSoon();
}

function switchLang(next: Lang): void {
  setLang(next);
  translatePage();
  document.querySelectorAll<HTMLElement>(".lang-switch button").forEach((b) => b.classList.toggle("on", b.dataset.lang === next));
  fillSelects();
  fillChips();
  renderLegend();
  renderCounts();
  renderBadge();
  renderDetails();
  saveUrlSoon();
}

function fillSelects(): void {
  const region = $<HTMLSelectElement>("filter-region");
  region.replaceChildren(new Option(t("filters.all"), ""));
  const indent: Record<string, string> = { city: "", district: "　", street: "　　", community: "　　　" };
  // Parents before children: sort by the region id, which nests (370202 → 370202001 …).
  for (const r of [...regionOptions].sort((a, b) => a.id.localeCompare(b.id))) {
    region.append(new Option(`${indent[r.level] ?? ""}${r.name}`, r.id));
  }
  region.value = state.region;
  const sector = $<HTMLSelectElement>("filter-sector");
  sector.replaceChildren(new Option(t("filters.all"), ""));
  for (const s of ["traditional", "new_economic", "new_social"]) sector.append(new Option(label("sector", s), s));
  sector.value = state.sector;
  const size = $<HTMLSelectElement>("size-by");
  size.replaceChildren(...(["none", "employees", "members", "betweenness"] as SizeBy[]).map((s) => new Option(t(`size.${s}`), s)));
  size.value = state.sizeBy;
}

function fillChips(): void {
  const kinds = $("filter-kinds");
  kinds.replaceChildren();
  for (const kind of api.KINDS) {
    const chip = el("span", state.hiddenKinds.has(kind) ? "chip" : "chip on", t(`kind.${kind}`));
    chip.dataset.kind = kind;
    chip.onclick = () => {
      if (state.hiddenKinds.has(kind)) state.hiddenKinds.delete(kind);
      else state.hiddenKinds.add(kind);
      chip.classList.toggle("on");
      restyle();
    };
    kinds.append(chip);
  }
  const res = $("partner-kinds");
  res.replaceChildren();
  for (const kind of RESOURCE_KINDS) {
    const chip = el("span", partnerKinds.has(kind) ? "chip on" : "chip", label("reskind", kind.toLowerCase()));
    chip.dataset.kind = kind;
    chip.onclick = () => {
      if (partnerKinds.has(kind)) partnerKinds.delete(kind);
      else partnerKinds.add(kind);
      chip.classList.toggle("on");
    };
    res.append(chip);
  }
}

function syncControls(): void {
  $<HTMLInputElement>("filter-asof").value = state.asOf;
  document.querySelectorAll<HTMLElement>("#layout-switch button").forEach((b) => b.classList.toggle("on", b.dataset.layout === state.layout));
  fillSelects();
  fillChips();
}

async function exportAs(kind: string): Promise<void> {
  $("export-menu").hidden = true;
  const stamp = new Date().toISOString().slice(0, 10);
  switch (kind) {
    case "png": {
      const blob = await toBlob(renderer, { format: "png", backgroundColor: "#ffffff", fileName: `cobuild-${stamp}` });
      download(blob, `cobuild-${stamp}.png`, "image/png");
      break;
    }
    case "graphml":
      download(toGraphML(graph), `cobuild-${stamp}.graphml`, "application/graphml+xml");
      break;
    case "gexf":
      download(toGexf(graph), `cobuild-${stamp}.gexf`, "application/gexf+xml");
      break;
    case "nodes-csv":
      download(nodesCsv(graph), `cobuild-nodes-${stamp}.csv`, "text/csv;charset=utf-8");
      break;
    case "edges-csv":
      download(edgesCsv(graph), `cobuild-edges-${stamp}.csv`, "text/csv;charset=utf-8");
      break;
    case "link":
      saveUrl();
      await navigator.clipboard?.writeText(location.href).catch(() => undefined);
      toast(t("export.copied"), true);
      break;
  }
}

async function quickStart(): Promise<void> {
  const root = $("quick-start");
  const starts: [string, string, () => Promise<void>][] = [
    ["quick.partyOrgs", lang() === "zh" ? "打开党组织体系" : "Open the party organisations", async () => {
      const data = await api.gql<{ partyOrgs: { nodes: { id: string }[] } }>(`{ partyOrgs(first: 200) { nodes { id } } }`);
      await openNodes(data.partyOrgs.nodes.map((n) => n.id));
    }],
    ["quick.agreements", lang() === "zh" ? "打开共建协议网络" : "Open the co-building agreements", async () => {
      const data = await api.gql<{ agreements: { nodes: { id: string }[] } }>(
        `query A($d: Date) { agreements(first: 200, where: {activeOn: $d}) { nodes { id } } }`,
        { d: state.asOf },
      );
      const ids = data.agreements.nodes.map((n) => n.id);
      await openNodes(ids);
      if (ids.length) await expand_(ids, ["AGREEMENT"], 500);
    }],
  ];
  root.replaceChildren(
    ...starts.map(([, text, action]) => button(text, "btn", () => guarded(action))),
  );
}

function bind(): void {
  const input = $<HTMLInputElement>("search-input");
  input.addEventListener("input", () => {
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(() => runSearch(input.value), 250);
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      window.clearTimeout(searchTimer);
      const first = $("search-results").querySelector<HTMLElement>("li[data-id]");
      if (first && !$("search-results").hidden) openHit(first.dataset.id ?? "");
      else runSearch(input.value);
    }
    if (e.key === "Escape") $("search-results").hidden = true;
  });
  document.addEventListener("click", (e) => {
    if (!(e.target as HTMLElement).closest(".search")) $("search-results").hidden = true;
    if (!(e.target as HTMLElement).closest(".menu")) $("export-menu").hidden = true;
  });
  document.querySelectorAll<HTMLElement>(".lang-switch button").forEach((b) => {
    b.onclick = () => switchLang(b.dataset.lang as Lang);
  });
  $("export-button").onclick = () => ($("export-menu").hidden = !$("export-menu").hidden);
  document.querySelectorAll<HTMLElement>("[data-export]").forEach((b) => {
    b.onclick = () => guarded(() => exportAs(b.dataset.export ?? ""));
  });
  const dialog = $<HTMLDialogElement>("key-dialog");
  $("key-button").onclick = () => {
    $<HTMLInputElement>("key-input").value = api.apiKey() ?? "";
    dialog.showModal();
  };
  dialog.addEventListener("close", () => {
    if (dialog.returnValue === "save") api.setApiKey($<HTMLInputElement>("key-input").value.trim() || null);
    if (dialog.returnValue === "clear") api.setApiKey(null);
  });
  document.querySelectorAll<HTMLElement>("#tabs button").forEach((b) => {
    b.onclick = () => showTab(b.dataset.tab as Tab);
  });
  $<HTMLSelectElement>("filter-region").onchange = (e) => {
    state.region = (e.target as HTMLSelectElement).value;
    restyle();
  };
  $<HTMLSelectElement>("filter-sector").onchange = (e) => {
    state.sector = (e.target as HTMLSelectElement).value;
    restyle();
  };
  $<HTMLInputElement>("filter-asof").onchange = (e) => {
    state.asOf = (e.target as HTMLInputElement).value || today;
    restyle();
  };
  $<HTMLSelectElement>("size-by").onchange = async (e) => {
    state.sizeBy = (e.target as HTMLSelectElement).value as SizeBy;
    if (state.sizeBy === "betweenness" && betweenness.size === 0) {
      betweenness = (await guarded(() => api.betweenness())) ?? new Map();
    }
    restyle();
  };
  document.querySelectorAll<HTMLElement>("#layout-switch button").forEach((b) => {
    b.onclick = () => {
      state.layout = b.dataset.layout as "force" | "geo";
      syncControls();
      applyLayout();
      saveUrlSoon();
    };
  });
  $("fit-button").onclick = () => renderer.getCamera().animatedReset({ duration: 300 });
  $("clear-button").onclick = () => {
    stopForce();
    graph.clear();
    nodeData.clear();
    expandedAll.clear();
    highlight = null;
    clearGaps();
    select(null);
  };
  $("paths-form").onsubmit = (e) => {
    e.preventDefault();
    state.horizontal = $<HTMLInputElement>("path-horizontal").checked;
    saveUrlSoon();
    void runPathways();
  };
  $<HTMLInputElement>("path-horizontal").onchange = () => {
    state.horizontal = $<HTMLInputElement>("path-horizontal").checked;
    if (state.pathFrom && state.pathTo) void runPathways();
  };
  $("path-from-use").onclick = () => {
    const unit = selectedUnit();
    if (unit) pickUnit("from", unit);
  };
  $("path-to-use").onclick = () => {
    const unit = selectedUnit();
    if (unit) pickUnit("to", unit);
  };
  $("partner-unit-use").onclick = () => {
    const unit = selectedUnit();
    if (unit) pickUnit("partner", unit);
  };
  $("partners-form").onsubmit = (e) => {
    e.preventDefault();
    void runPartners();
  };
  $("gaps-run").onclick = () => void runGaps();
  $("gaps-clear").onclick = () => clearGaps();

  // Canvas: click selects, double click expands, drag moves and pins.
  renderer.on("clickNode", ({ node }) => select(node));
  renderer.on("doubleClickNode", (e) => {
    e.preventSigmaDefault();
    void guarded(() => expand_([e.node], [...state.expandTies]));
  });
  renderer.on("clickStage", () => {
    highlight = null;
    document.body.dataset.highlight = "";
    select(null);
  });
  let dragged: string | null = null;
  renderer.on("downNode", (e) => {
    dragged = e.node;
    stopForce();
  });
  renderer.getMouseCaptor().on("mousemovebody", (e) => {
    if (!dragged) return;
    const pos = renderer.viewportToGraph(e);
    graph.mergeNodeAttributes(dragged, { x: pos.x, y: pos.y, fixed: true });
    e.preventSigmaDefault();
    e.original.preventDefault();
    e.original.stopPropagation();
  });
  renderer.getMouseCaptor().on("mouseup", () => {
    if (dragged) saveUrlSoon();
    dragged = null;
  });
}

async function init(): Promise<void> {
  setLang("zh");
  translatePage();
  bind();
  syncControls();
  switchLang("zh");
  void quickStart();
  regionOptions = (await guarded(() => api.regionsForFilter())) ?? [];
  fillSelects();
  const scenarioList = $("scenario-list");
  for (const s of (await guarded(() => api.scenarios())) ?? []) scenarioList.append(new Option(s, s));
  await guarded(restore);
  restyle();
  document.body.dataset.ready = "1";
}

// A handle for the browser tests and for people poking at the page from the console.
declare global {
  interface Window {
    explorer: unknown;
  }
}
window.explorer = {
  graph,
  renderer,
  state,
  expandAll,
  open: (ids: string[]) => guarded(() => openNodes(ids)),
  stopLayout: stopForce,
  viewUrl,
  highlighted: () => ({ nodes: [...(highlight?.nodes ?? [])], edges: [...(highlight?.edges ?? [])] }),
};

void init();
