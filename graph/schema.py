"""Schema DDL: uniqueness constraints, lookup indexes and the Chinese full-text index.

Each statement is idempotent (``IF NOT EXISTS``) and is applied through the versioned
migrations of ``graph.migrations``. The full-text index uses Lucene's ``cjk`` analyzer,
which indexes overlapping character bigrams, so ``八大关`` finds ``八大关街道党工委``.
"""

from __future__ import annotations

from typing import Final

FULLTEXT_INDEX: Final = "entity_names"

# --- uniqueness: every contract id, per label; Unit spans Organization and PartyOrg ----------
CONSTRAINTS: Final[tuple[str, ...]] = (
    "CREATE CONSTRAINT region_id IF NOT EXISTS FOR (n:Region) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT organization_id IF NOT EXISTS FOR (n:Organization) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT party_org_id IF NOT EXISTS FOR (n:PartyOrg) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT unit_id IF NOT EXISTS FOR (n:Unit) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT person_id IF NOT EXISTS FOR (n:Person) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT skill_id IF NOT EXISTS FOR (n:Skill) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT resource_id IF NOT EXISTS FOR (n:Resource) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT agreement_id IF NOT EXISTS FOR (n:Agreement) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT demand_id IF NOT EXISTS FOR (n:Demand) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT ingest_run_id IF NOT EXISTS FOR (n:IngestRun) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT schema_migration_version IF NOT EXISTS "
    "FOR (n:SchemaMigration) REQUIRE n.version IS UNIQUE",
    # A usage has no id in the contract; ingest derives one from (resource, user, date).
    "CREATE CONSTRAINT used_id IF NOT EXISTS FOR ()-[r:USED]-() REQUIRE r.id IS UNIQUE",
)

# Added by migration 2: API keys are looked up by their public id.
API_KEY_CONSTRAINT: Final = (
    "CREATE CONSTRAINT api_key_id IF NOT EXISTS FOR (k:ApiKey) REQUIRE k.id IS UNIQUE"
)

# --- lookup indexes for the filters the questions use ----------------------------------------
INDEXES: Final[tuple[str, ...]] = (
    "CREATE INDEX region_level IF NOT EXISTS FOR (n:Region) ON (n.level)",
    "CREATE INDEX organization_sector_kind IF NOT EXISTS "
    "FOR (n:Organization) ON (n.sector, n.kind)",
    "CREATE INDEX party_org_type IF NOT EXISTS FOR (n:PartyOrg) ON (n.type)",
    "CREATE INDEX person_is_party_member IF NOT EXISTS FOR (n:Person) ON (n.is_party_member)",
    "CREATE INDEX resource_kind IF NOT EXISTS FOR (n:Resource) ON (n.kind)",
    "CREATE INDEX resource_status IF NOT EXISTS FOR (n:Resource) ON (n.status)",
    "CREATE INDEX agreement_kind IF NOT EXISTS FOR (n:Agreement) ON (n.kind)",
    "CREATE INDEX demand_status IF NOT EXISTS FOR (n:Demand) ON (n.status)",
    "CREATE INDEX skill_name IF NOT EXISTS FOR (n:Skill) ON (n.name)",
    "CREATE INDEX ingest_run_started IF NOT EXISTS FOR (n:IngestRun) ON (n.started_at)",
    "CREATE POINT INDEX organization_location IF NOT EXISTS FOR (n:Organization) ON (n.location)",
    "CREATE POINT INDEX party_org_location IF NOT EXISTS FOR (n:PartyOrg) ON (n.location)",
    "CREATE POINT INDEX resource_location IF NOT EXISTS FOR (n:Resource) ON (n.location)",
)

# Added by migration 3: the new employment group (flag or occupation) found by index seeks,
# not by reading every person, when a coverage question asks about the whole city.
NEW_EMPLOYMENT_INDEXES: Final[tuple[str, ...]] = (
    "CREATE INDEX person_new_employment_group IF NOT EXISTS "
    "FOR (n:Person) ON (n.new_employment_group)",
    "CREATE INDEX person_occupation IF NOT EXISTS FOR (n:Person) ON (n.occupation)",
)

# Added by migration 4: the audit log of unmasked personal data reads, read newest first by
# time (admins' auditLog) and looked up by id.
AUDIT_INDEXES: Final[tuple[str, ...]] = (
    "CREATE CONSTRAINT audit_event_id IF NOT EXISTS FOR (n:AuditEvent) REQUIRE n.id IS UNIQUE",
    "CREATE INDEX audit_event_at IF NOT EXISTS FOR (n:AuditEvent) ON (n.at)",
)

# Added by migration 5: a whole city's blank areas paged in id order per level (the first page
# of 136,000 blank buildings is read from the index, not sorted).
REGION_LEVEL_ID_INDEX: Final = (
    "CREATE INDEX region_level_id IF NOT EXISTS FOR (n:Region) ON (n.level, n.id)"
)

# Added by migration 6: entity lists of a whole label in name order, read from the index in
# that order and stopped at the page's end (queries.entities): by name alone, and by name
# under each equality filter a list offers.
NAME_ORDER_INDEXES: Final[tuple[str, ...]] = (
    "CREATE INDEX region_name IF NOT EXISTS FOR (n:Region) ON (n.name)",
    "CREATE INDEX region_level_name IF NOT EXISTS FOR (n:Region) ON (n.level, n.name)",
    "CREATE INDEX organization_name IF NOT EXISTS FOR (n:Organization) ON (n.name)",
    "CREATE INDEX organization_sector_name IF NOT EXISTS "
    "FOR (n:Organization) ON (n.sector, n.name)",
    "CREATE INDEX organization_kind_name IF NOT EXISTS FOR (n:Organization) ON (n.kind, n.name)",
    "CREATE INDEX party_org_name IF NOT EXISTS FOR (n:PartyOrg) ON (n.name)",
    "CREATE INDEX party_org_type_name IF NOT EXISTS FOR (n:PartyOrg) ON (n.type, n.name)",
    "CREATE INDEX person_name IF NOT EXISTS FOR (n:Person) ON (n.name)",
    "CREATE INDEX person_member_name IF NOT EXISTS FOR (n:Person) ON (n.is_party_member, n.name)",
    "CREATE INDEX resource_name IF NOT EXISTS FOR (n:Resource) ON (n.name)",
    "CREATE INDEX resource_kind_name IF NOT EXISTS FOR (n:Resource) ON (n.kind, n.name)",
    "CREATE INDEX resource_status_name IF NOT EXISTS FOR (n:Resource) ON (n.status, n.name)",
    "CREATE INDEX agreement_name IF NOT EXISTS FOR (n:Agreement) ON (n.name)",
    "CREATE INDEX agreement_kind_name IF NOT EXISTS FOR (n:Agreement) ON (n.kind, n.name)",
)

# --- Chinese full-text search over names (and skill aliases) ---------------------------------
FULLTEXT: Final[tuple[str, ...]] = (
    "CREATE FULLTEXT INDEX entity_names IF NOT EXISTS "
    "FOR (n:Organization|PartyOrg|Person|Resource|Skill|Region) ON EACH [n.name, n.aliases_text] "
    "OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk', `fulltext.eventually_consistent`: false}}",
)

# Lists what exists, for status output and tests.
SHOW_CONSTRAINTS: Final = "SHOW CONSTRAINTS YIELD name RETURN collect(name) AS names"
SHOW_INDEXES: Final = (
    "SHOW INDEXES YIELD name, type, state, options "
    "RETURN name, type, state, options.indexConfig['fulltext.analyzer'] AS analyzer"
)
AWAIT_INDEXES: Final = "CALL db.awaitIndexes($timeout_s)"
