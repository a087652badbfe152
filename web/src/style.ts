// How a node looks: colour by kind and what matters within it; the 三新 sectors stand out.
import type { ApiNode, Kind } from "./api";
import { label, t } from "./i18n";

export const SECTOR_COLORS: Record<string, string> = {
  traditional: "#5b7db1",
  new_economic: "#f28e2b",
  new_social: "#2ca58d",
};

export const PARTY_ORG_COLORS: Record<string, string> = {
  committee: "#9b1c1c",
  working_committee: "#b42318",
  general_branch: "#d92d20",
  branch: "#f04438",
  joint_branch: "#f97066",
  functional: "#c11574",
  temporary: "#fda29b",
};

export const ROLE_COLORS: Record<string, string> = {
  secretary: "#7a2e8e",
  committee_member: "#9e77ed",
  party_worker: "#b692f6",
  grid_worker: "#0e9384",
  building_leader: "#3e7c17",
  volunteer: "#66c61c",
  activist: "#eaaa08",
  member: "#e04f5f",
  resident: "#98a2b3",
};

export const RESOURCE_COLORS: Record<string, string> = {
  venue: "#155eef",
  fund: "#175cd3",
  equipment: "#528bff",
  service: "#0ba5ec",
  volunteer_team: "#36bffa",
  expertise: "#2e90fa",
  data: "#6172f3",
  other: "#84adff",
};

export const KIND_COLORS: Record<Kind, string> = {
  ORGANIZATION: "#5b7db1",
  PARTY_ORG: "#d92d20",
  PERSON: "#98a2b3",
  RESOURCE: "#2e90fa",
  AGREEMENT: "#dc9a04",
  SKILL: "#7d8794",
  DEMAND: "#475467",
  REGION: "#b8c0cc",
};

export const GAP_COLORS: Record<string, string> = {
  uncovered: "#e31b54",
  blank: "#8d6e63",
  unclear: "#9e3ad6",
  marginal: "#f5b400",
};

const ROLE_ORDER = ["secretary", "committee_member", "party_worker", "grid_worker", "building_leader", "volunteer", "activist"];

/** The group a node is coloured by within its kind (sector, type, role, resource kind). */
export function styleKey(node: ApiNode): { group: string; key: string } {
  switch (node.kind) {
    case "ORGANIZATION":
      return { group: "sector", key: node.sector ?? "traditional" };
    case "PARTY_ORG":
      return { group: "potype", key: node.category ?? "branch" };
    case "PERSON": {
      const role = ROLE_ORDER.find((r) => node.roles.includes(r));
      return { group: "role", key: role ?? (node.isPartyMember ? "member" : "resident") };
    }
    case "RESOURCE":
      return { group: "reskind", key: node.category ?? "other" };
    default:
      return { group: "kind", key: node.kind };
  }
}

const GROUP_COLORS: Record<string, Record<string, string>> = {
  sector: SECTOR_COLORS,
  potype: PARTY_ORG_COLORS,
  role: ROLE_COLORS,
  reskind: RESOURCE_COLORS,
  kind: KIND_COLORS,
};

export function colorOf(node: ApiNode): string {
  const { group, key } = styleKey(node);
  return GROUP_COLORS[group][key] ?? KIND_COLORS[node.kind];
}

const BASE_SIZE: Record<Kind, number> = {
  PARTY_ORG: 7,
  ORGANIZATION: 6.5,
  AGREEMENT: 5.5,
  RESOURCE: 4.5,
  PERSON: 3.5,
  SKILL: 4,
  DEMAND: 4,
  REGION: 5,
};

export type SizeBy = "none" | "employees" | "members" | "betweenness";

export function sizeOf(node: ApiNode, by: SizeBy, betweenness: Map<string, number>): number {
  const base = BASE_SIZE[node.kind];
  const starred = node.kind === "ORGANIZATION" && node.sector !== "traditional" ? 1.5 : 0;
  switch (by) {
    case "employees":
      return node.employees != null ? 3 + Math.sqrt(node.employees) * 1.1 : base * 0.6;
    case "members":
      return node.members != null ? 3 + Math.sqrt(node.members) * 2.2 : base * 0.6;
    case "betweenness": {
      const value = betweenness.get(node.id);
      return value != null ? 3 + Math.sqrt(value) * 22 : base * 0.6;
    }
    default:
      return base + starred;
  }
}

export interface LegendGroup {
  title: string;
  items: { color: string; text: string; count: number; star?: boolean }[];
}

/** The legend for what is on the canvas: only the groups and entries present, with counts. */
export function legendFor(nodes: ApiNode[]): LegendGroup[] {
  const counts = new Map<string, number>();
  for (const node of nodes) {
    const { group, key } = styleKey(node);
    const id = `${node.kind}|${group}|${key}`;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const byKind = new Map<Kind, LegendGroup>();
  const order: Kind[] = ["ORGANIZATION", "PARTY_ORG", "PERSON", "RESOURCE", "AGREEMENT", "SKILL", "DEMAND", "REGION"];
  for (const [id, count] of [...counts.entries()].sort()) {
    const [kind, group, key] = id.split("|") as [Kind, string, string];
    const legend = byKind.get(kind) ?? { title: t(`kind.${kind}`), items: [] };
    legend.items.push({
      color: GROUP_COLORS[group][key] ?? KIND_COLORS[kind],
      text: group === "kind" ? t(`kind.${kind}`) : label(group, key),
      count,
      star: group === "sector" && key !== "traditional",
    });
    byKind.set(kind, legend);
  }
  return order.filter((k) => byKind.has(k)).map((k) => byKind.get(k) as LegendGroup);
}
