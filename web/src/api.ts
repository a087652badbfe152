// The page talks only to the GraphQL API; every request shows the loading bar while it runs.
import { t } from "./i18n";

const KEY_STORAGE = "cobuild.apiKey";

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

export function apiKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function setApiKey(key: string | null): void {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
}

let inFlight = 0;
function busy(delta: number): void {
  inFlight += delta;
  const bar = document.getElementById("loading-bar");
  if (bar) bar.hidden = inFlight === 0;
  document.body.dataset.busy = String(inFlight);
}

export async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  const key = apiKey();
  if (key) headers.authorization = `Bearer ${key}`;
  busy(1);
  try {
    let response: Response;
    try {
      response = await fetch("/graphql", { method: "POST", headers, body: JSON.stringify({ query, variables }) });
    } catch (exc) {
      throw new ApiError(t("error.network", { message: (exc as Error).message }));
    }
    if (response.status === 401) {
      // With a key the API's own words say what is wrong with it (invalid, revoked …).
      const detail = key ? await response.json().then((b: { detail?: string }) => b.detail ?? "", () => "") : "";
      throw new ApiError(detail ? `${t("error.unauthorized")}（${detail}）` : t("error.unauthorized"), "UNAUTHENTICATED");
    }
    let body: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
    try {
      body = await response.json();
    } catch {
      throw new ApiError(t("error.http", { status: response.status, message: response.statusText }));
    }
    if (body.errors && body.errors.length > 0) {
      const first = body.errors[0];
      throw new ApiError(first.message, first.extensions?.code ?? null);
    }
    if (!response.ok || body.data === undefined) {
      throw new ApiError(t("error.http", { status: response.status, message: response.statusText }));
    }
    return body.data;
  } finally {
    busy(-1);
  }
}

// --- shapes of the answers the page reads -----------------------------------------------------

export type Kind =
  | "REGION"
  | "ORGANIZATION"
  | "PARTY_ORG"
  | "PERSON"
  | "SKILL"
  | "RESOURCE"
  | "AGREEMENT"
  | "DEMAND";
export const KINDS: Kind[] = ["ORGANIZATION", "PARTY_ORG", "PERSON", "RESOURCE", "AGREEMENT", "SKILL", "DEMAND", "REGION"];

export type TieKind =
  | "HIERARCHY"
  | "AGREEMENT"
  | "MEMBERSHIP"
  | "EMPLOYMENT"
  | "REPORTING"
  | "RESOURCE"
  | "SKILL"
  | "DEMAND"
  | "PLACE";
export const TIE_KINDS: TieKind[] = [
  "HIERARCHY",
  "AGREEMENT",
  "MEMBERSHIP",
  "EMPLOYMENT",
  "REPORTING",
  "RESOURCE",
  "SKILL",
  "DEMAND",
  "PLACE",
];

export interface ApiNode {
  id: string;
  kind: Kind;
  name: string;
  category: string | null;
  sector: string | null;
  employees: number | null;
  members: number | null;
  isPartyMember: boolean | null;
  roles: string[];
  lat: number | null;
  lon: number | null;
  locationInherited: boolean;
  regions: string[];
  validFrom: string | null;
  validTo: string | null;
  active: boolean;
}

export interface ApiEdge {
  source: string;
  target: string;
  relationship: string;
  tie: TieKind;
}

const NODE_FIELDS = `id kind name category sector employees members isPartyMember roles lat lon
  locationInherited regions validFrom validTo active`;
const EDGE_FIELDS = "source target relationship tie";

export interface Neighbourhood {
  nodes: ApiNode[];
  edges: ApiEdge[];
  total: number;
  truncated: boolean;
}

export async function neighbourhood(
  ids: string[],
  tieKinds: TieKind[] | null,
  asOf: string | null,
  limit = 200,
): Promise<Neighbourhood> {
  const data = await gql<{ neighbourhood: Neighbourhood }>(
    `query Expand($ids: [ID!]!, $ties: [ExploreTie!], $asOf: Date, $limit: Int!) {
      neighbourhood(ids: $ids, tieKinds: $ties, asOf: $asOf, limit: $limit) {
        total truncated nodes { ${NODE_FIELDS} } edges { ${EDGE_FIELDS} } } }`,
    { ids, ties: tieKinds, asOf, limit },
  );
  return data.neighbourhood;
}

export interface Subgraph {
  nodes: ApiNode[];
  edges: ApiEdge[];
  missing: string[];
}

export async function subgraph(ids: string[], asOf: string | null): Promise<Subgraph> {
  const unique = [...new Set(ids)];
  const result: Subgraph = { nodes: [], edges: [], missing: [] };
  // The API takes 500 ids at a time; a larger view is fetched in slices.
  for (let i = 0; i < unique.length; i += 500) {
    const data = await gql<{ subgraph: Subgraph }>(
      `query Open($ids: [ID!]!, $asOf: Date) {
        subgraph(ids: $ids, asOf: $asOf) { missing nodes { ${NODE_FIELDS} } edges { ${EDGE_FIELDS} } } }`,
      { ids: unique.slice(i, i + 500), asOf },
    );
    result.nodes.push(...data.subgraph.nodes);
    result.edges.push(...data.subgraph.edges);
    result.missing.push(...data.subgraph.missing);
  }
  return result;
}

export interface SearchHit {
  id: string;
  name: string;
  typename: string;
}

export async function search(text: string): Promise<SearchHit[]> {
  const data = await gql<{ search: { entity: Record<string, string> }[] }>(
    `query Search($text: String!) { search(text: $text, limit: 12) { score entity {
      __typename
      ... on Organization { id name } ... on PartyOrg { id name } ... on Person { id name }
      ... on Resource { id name } ... on Skill { id name } ... on Region { id name }
      ... on Agreement { id name } ... on Demand { id title } } } }`,
    { text },
  );
  return data.search.map((hit) => ({
    id: hit.entity.id,
    name: hit.entity.name ?? hit.entity.title,
    typename: hit.entity.__typename,
  }));
}

export const TYPENAME_KIND: Record<string, Kind> = {
  Organization: "ORGANIZATION",
  PartyOrg: "PARTY_ORG",
  Person: "PERSON",
  Resource: "RESOURCE",
  Skill: "SKILL",
  Region: "REGION",
  Agreement: "AGREEMENT",
  Demand: "DEMAND",
};

// Details of one entity, per kind: the fields a person would want to read.
const DETAIL_QUERIES: Record<Kind, string> = {
  ORGANIZATION: `query D($id: ID!) { e: organization(id: $id) { id name kind sector address employees
    region { name } partyOrgs(first: 5) { totalCount nodes { id name } } } }`,
  PARTY_ORG: `query D($id: ID!) { e: partyOrg(id: $id) { id name type foundedOn validTo
    region { name } parent { id name } secretary { id name phone } members(first: 0) { totalCount }
    hostOrganization { id name } } }`,
  PERSON: `query D($id: ID!) { e: person(id: $id) { id name isPartyMember gender birthYear occupation
    newEmploymentGroup roles phone partyOrg { id name } employer { id name } residence { name }
    reportsTo { id name } skills { level certified skill { name } } } }`,
  RESOURCE: `query D($id: ID!) { e: resource(id: $id) { id name kind shareable status scenarios capacity
    capacityUnit availableFrom availableTo owner { ... on Organization { id name } ... on PartyOrg { id name } }
    region { name } } }`,
  AGREEMENT: `query D($id: ID!) { e: agreement(id: $id) { id name kind topics signedOn expiresOn
    parties { lead unit { ... on Organization { id name } ... on PartyOrg { id name } } } } }`,
  SKILL: `query D($id: ID!) { e: skill(id: $id) { id name aliases parent { name } holders(first: 0) { totalCount } } }`,
  REGION: `query D($id: ID!) { e: region(id: $id) { id name level population households parent { name } } }`,
  DEMAND: `query D($id: ID!) { e: demand(id: $id) { id title status scenario urgency affectedPeople createdAt
    region { name } requiredSkills { name } } }`,
};

export async function details(kind: Kind, id: string): Promise<Record<string, unknown>> {
  const data = await gql<{ e: Record<string, unknown> }>(DETAIL_QUERIES[kind], { id });
  return data.e;
}

export interface PathNode {
  id: string;
  kind: string;
  name: string;
}
export interface Path {
  nodes: PathNode[];
  steps: { ties: { kind: string; relationship: string; startId: string; endId: string }[] }[];
  explanation: string;
  length: number;
}

export async function pathways(from: string, to: string, horizontalOnly: boolean, asOf: string | null): Promise<Path[]> {
  const data = await gql<{ pathways: { paths: Path[] } }>(
    `query P($from: ID!, $to: ID!, $h: Boolean!, $asOf: Date) {
      pathways(from: $from, to: $to, horizontalOnly: $h, asOf: $asOf, k: 3) {
        paths { length explanation nodes { id kind name }
          steps { ties { kind relationship startId endId } } } } }`,
    { from, to, h: horizontalOnly, asOf },
  );
  return data.pathways.paths;
}

export interface Partner {
  rank: number;
  score: number | null; // null: outside the caller's scope, shown by name only
  distanceKm: number | null;
  unit: { id: string; name: string; kind: string };
  components: { name: string; weight: number; value: number; contribution: number; detail: string }[];
  resources: { id: string; name: string }[];
  people: { id: string; name: string }[];
}

export async function partners(
  unit: string,
  need: { scenario: string | null; skills: string[]; resourceKinds: string[] } | null,
  radiusKm: number,
  asOf: string | null,
): Promise<{ total: number; partners: Partner[] }> {
  const data = await gql<{ partners: { total: number; partners: Partner[] } }>(
    `query Partners($unit: ID!, $need: NeedInput, $r: Float!, $asOf: Date) {
      partners(unit: $unit, need: $need, radiusKm: $r, asOf: $asOf, limit: 10) {
        total partners { rank score distanceKm unit { id name kind }
          components { name weight value contribution detail }
          resources { id name } people { id name } } } }`,
    { unit, need, r: radiusKm, asOf },
  );
  return data.partners;
}

export interface RegionRef {
  id: string;
  name: string;
  level: string;
}
/** How many items a gap list has in all (the report carries the first page of each). */
interface GapPage {
  total: number;
}
interface ItemWithReason {
  reason: string;
}
export interface Coverage {
  scope: { region: RegionRef; asOf: string };
  uncoveredOrganizations: {
    items: (ItemWithReason & { id: string; name: string; sector: string })[];
    page: GapPage;
    counts: { region: RegionRef; count: number }[];
  };
  blankAreas: { level: string; items: (ItemWithReason & { region: RegionRef })[]; page: GapPage; counts: { region: RegionRef; count: number }[] }[];
  unclearAffiliations: { items: (ItemWithReason & { partyOrg: { id: string; name: string } })[]; page: GapPage; counts: { region: RegionRef; count: number }[] };
  marginalUnits: { items: (ItemWithReason & { id: string; name: string })[]; page: GapPage; counts: { region: RegionRef; count: number }[] };
  memberRatios: {
    total: { sectors: { sector: string; organizations: number; ratio: { numerator: number; denominator: number; percent: number | null } }[] };
  };
}

export async function coverage(regionId: string | null, asOf: string | null): Promise<Coverage> {
  const counts = "page { total } counts { region { id name level } count }";
  // The canvas marks the first 100 of each kind of gap; the counts and totals cover every one.
  const data = await gql<{ coverage: Coverage }>(
    `query Gaps($region: ID, $asOf: Date) { coverage(regionId: $region, asOf: $asOf, first: 100) {
      scope { region { id name level } asOf }
      uncoveredOrganizations { items { id name sector reason } ${counts} }
      blankAreas { level items { region { id name level } reason } ${counts} }
      unclearAffiliations { items { partyOrg { id name } reason } ${counts} }
      marginalUnits { items { id name reason } ${counts} }
      memberRatios { total { sectors { sector organizations ratio { numerator denominator percent } } } } } }`,
    { region: regionId, asOf },
  );
  return data.coverage;
}

export async function betweenness(): Promise<Map<string, number>> {
  const data = await gql<{ brokers: { brokers: { unit: { id: string }; normalized: number }[] } }>(
    `{ brokers(limit: 1000) { brokers { unit { id } normalized } } }`,
  );
  return new Map(data.brokers.brokers.map((b) => [b.unit.id, b.normalized]));
}

export async function regionsForFilter(): Promise<RegionRef[]> {
  const data = await gql<Record<string, { nodes: RegionRef[] }>>(
    `{ city: regions(where: {level: "city"}, first: 50) { nodes { id name level } }
       district: regions(where: {level: "district"}, first: 200) { nodes { id name level } }
       street: regions(where: {level: "street"}, first: 400) { nodes { id name level } }
       community: regions(where: {level: "community"}, first: 400) { nodes { id name level } } }`,
  );
  return [...data.city.nodes, ...data.district.nodes, ...data.street.nodes, ...data.community.nodes];
}

export async function scenarios(): Promise<string[]> {
  const data = await gql<{ resources: { nodes: { scenarios: string[] }[] } }>(
    `{ resources(first: 400) { nodes { scenarios } } }`,
  );
  return [...new Set(data.resources.nodes.flatMap((r) => r.scenarios))].sort();
}
