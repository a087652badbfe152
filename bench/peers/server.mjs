// The peer of issue #7: cobuild's graph served by the official @neo4j/graphql library, with type
// definitions equivalent to the entity part of api/schema.graphql, so that bench.peers can ask
// both the same questions against the same Neo4j. A bare node:http server (no framework): the
// library's own cost is what is measured.
//
//   NEO4J_URI=bolt://127.0.0.1:7687 NEO4J_USER=neo4j NEO4J_PASSWORD=… PORT=4100 node server.mjs
//
// Prints "ready <port>" once it listens on 127.0.0.1.
import http from "node:http";

import { Neo4jGraphQL } from "@neo4j/graphql";
import { graphql } from "graphql";
import neo4j from "neo4j-driver";

// Properties keep cobuild's snake_case names in the store (@alias), fields the API's camelCase.
const typeDefs = /* GraphQL */ `
  type Region @node {
    id: ID!
    name: String!
    level: String!
    population: Int
    households: Int
    parent: [Region!]! @relationship(type: "PART_OF", direction: OUT)
    children: [Region!]! @relationship(type: "PART_OF", direction: IN)
    organizations: [Organization!]! @relationship(type: "IN_REGION", direction: IN)
    partyOrgs: [PartyOrg!]! @relationship(type: "IN_REGION", direction: IN)
  }

  type Organization @node {
    id: ID!
    name: String!
    kind: String!
    sector: String!
    address: String
    employees: Int
    region: [Region!]! @relationship(type: "IN_REGION", direction: OUT)
    partyOrgs: [PartyOrg!]! @relationship(type: "SET_UP_IN", direction: IN)
    coveringPartyOrgs: [PartyOrg!]! @relationship(type: "COVERS", direction: IN)
    employedPeople: [Person!]! @relationship(type: "EMPLOYED_BY", direction: IN)
  }

  type PartyOrg @node {
    id: ID!
    name: String!
    type: String!
    foundedOn: Date @alias(property: "founded_on")
    validTo: Date @alias(property: "valid_to")
    region: [Region!]! @relationship(type: "IN_REGION", direction: OUT)
    parent: [PartyOrg!]! @relationship(type: "SUBORDINATE_TO", direction: OUT)
    children: [PartyOrg!]! @relationship(type: "SUBORDINATE_TO", direction: IN)
    hostOrganization: [Organization!]! @relationship(type: "SET_UP_IN", direction: OUT)
    members: [Person!]! @relationship(type: "MEMBER_OF", direction: IN)
  }

  type Person @node {
    id: ID!
    name: String!
    isPartyMember: Boolean @alias(property: "is_party_member")
    gender: String
    birthYear: Int @alias(property: "birth_year")
    occupation: String
    partyOrg: [PartyOrg!]! @relationship(type: "MEMBER_OF", direction: OUT)
    employer: [Organization!]! @relationship(type: "EMPLOYED_BY", direction: OUT)
    residence: [Region!]! @relationship(type: "RESIDES_IN", direction: OUT)
  }
`;

const uri = process.env.NEO4J_URI ?? "bolt://127.0.0.1:7687";
const auth = neo4j.auth.basic(process.env.NEO4J_USER ?? "neo4j", process.env.NEO4J_PASSWORD ?? "");
const database = process.env.NEO4J_DATABASE ?? "neo4j";
const port = Number(process.env.PORT ?? 4100);

const driver = neo4j.driver(uri, auth, { maxConnectionPoolSize: 50 });
const schema = await new Neo4jGraphQL({ typeDefs, driver }).getSchema();

function reply(res, status, body) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

const server = http.createServer((req, res) => {
  if (req.method !== "POST" || req.url !== "/graphql") {
    reply(res, 404, { errors: [{ message: "POST /graphql" }] });
    return;
  }
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", async () => {
    try {
      const { query, variables } = JSON.parse(Buffer.concat(chunks).toString("utf-8"));
      const result = await graphql({
        schema,
        source: query,
        variableValues: variables,
        contextValue: { sessionConfig: { database } },
      });
      reply(res, 200, result);
    } catch (error) {
      reply(res, 400, { errors: [{ message: String(error) }] });
    }
  });
});

server.listen(port, "127.0.0.1", () => console.log(`ready ${port}`));
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => server.close(() => driver.close().then(() => process.exit(0))));
}
