// Exports of the current view: GraphML and GEXF (Gephi, Cytoscape), CSV, PNG.
import type Graph from "graphology";
import { write as writeGexf } from "graphology-gexf/browser";

const EXPORTED_NODE_FIELDS = [
  "label",
  "kind",
  "category",
  "sector",
  "employees",
  "members",
  "lat",
  "lon",
  "x",
  "y",
] as const;
const EXPORTED_EDGE_FIELDS = ["relationship", "tie"] as const;

function xmlEscape(value: string): string {
  return value.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c] ?? c);
}

function graphmlType(field: string): string {
  return ["employees", "members"].includes(field) ? "int" : ["lat", "lon", "x", "y"].includes(field) ? "double" : "string";
}

/** GraphML (graphology has no GraphML writer): typed keys for node and edge attributes. */
export function toGraphML(graph: Graph): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">',
  ];
  for (const field of EXPORTED_NODE_FIELDS) {
    lines.push(`  <key id="n_${field}" for="node" attr.name="${field}" attr.type="${graphmlType(field)}"/>`);
  }
  for (const field of EXPORTED_EDGE_FIELDS) {
    lines.push(`  <key id="e_${field}" for="edge" attr.name="${field}" attr.type="string"/>`);
  }
  lines.push('  <graph id="cobuild" edgedefault="directed">');
  graph.forEachNode((node, attrs) => {
    if (attrs.hidden) return;
    lines.push(`    <node id="${xmlEscape(node)}">`);
    for (const field of EXPORTED_NODE_FIELDS) {
      const value = attrs[field];
      if (value !== null && value !== undefined && value !== "") {
        lines.push(`      <data key="n_${field}">${xmlEscape(String(value))}</data>`);
      }
    }
    lines.push("    </node>");
  });
  graph.forEachEdge((edge, attrs, source, target, sourceAttrs, targetAttrs) => {
    if (sourceAttrs.hidden || targetAttrs.hidden) return;
    lines.push(`    <edge id="${xmlEscape(edge)}" source="${xmlEscape(source)}" target="${xmlEscape(target)}">`);
    for (const field of EXPORTED_EDGE_FIELDS) {
      lines.push(`      <data key="e_${field}">${xmlEscape(String(attrs[field] ?? ""))}</data>`);
    }
    lines.push("    </edge>");
  });
  lines.push("  </graph>", "</graphml>");
  return lines.join("\n") + "\n";
}

/** GEXF 1.3 through graphology-gexf, visible nodes only, with viz colours and positions. */
export function toGexf(graph: Graph): string {
  const visible = graph.copy();
  visible.forEachNode((node, attrs) => {
    if (attrs.hidden) visible.dropNode(node);
  });
  return writeGexf(visible, {
    formatNode: (key, attrs) => ({
      label: String(attrs.label ?? key),
      attributes: Object.fromEntries(
        EXPORTED_NODE_FIELDS.filter((f) => !["label", "x", "y"].includes(f) && attrs[f] != null).map((f) => [f, attrs[f]]),
      ),
      viz: { color: String(attrs.color ?? "#999999"), x: Number(attrs.x), y: Number(attrs.y), size: Number(attrs.size ?? 4) },
    }),
    formatEdge: (_key, attrs) => ({
      label: String(attrs.relationship ?? ""),
      attributes: { relationship: String(attrs.relationship ?? ""), tie: String(attrs.tie ?? "") },
    }),
  });
}

function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? "" : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function nodesCsv(graph: Graph): string {
  const header = ["id", ...EXPORTED_NODE_FIELDS];
  const rows = [header.join(",")];
  graph.forEachNode((node, attrs) => {
    if (attrs.hidden) return;
    rows.push([node, ...EXPORTED_NODE_FIELDS.map((f) => attrs[f])].map(csvCell).join(","));
  });
  return "\ufeff" + rows.join("\r\n") + "\r\n";
}

export function edgesCsv(graph: Graph): string {
  const rows = [["source", "target", ...EXPORTED_EDGE_FIELDS].join(",")];
  graph.forEachEdge((_edge, attrs, source, target, sourceAttrs, targetAttrs) => {
    if (sourceAttrs.hidden || targetAttrs.hidden) return;
    rows.push([source, target, ...EXPORTED_EDGE_FIELDS.map((f) => attrs[f])].map(csvCell).join(","));
  });
  return "\ufeff" + rows.join("\r\n") + "\r\n";
}

export function download(content: Blob | string, fileName: string, type: string): void {
  const blob = typeof content === "string" ? new Blob([content], { type }) : content;
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
