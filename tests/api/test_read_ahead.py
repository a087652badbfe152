"""The read-ahead registry names real fields of the right shape (no database needed).

``api.types.TIE_FIELDS`` says which tie each field reads; a renamed or reshaped field would
only lose its read-ahead (the loader then reads the page itself), so nothing else fails.
"""

from __future__ import annotations

from graphql import GraphQLObjectType, get_named_type

from api.schema import schema
from api.types import TIE_FIELDS
from queries.entities import TIE_STEPS, Kind

TYPE_OF = {
    Kind.REGION: "Region",
    Kind.ORGANIZATION: "Organization",
    Kind.PARTY_ORG: "PartyOrg",
    Kind.PERSON: "Person",
    Kind.RESOURCE: "Resource",
    Kind.AGREEMENT: "Agreement",
    Kind.DEMAND: "Demand",
}


def test_every_registered_tie_field_exists_with_its_shape_and_neighbour_type() -> None:
    for kind, ties in TIE_FIELDS.items():
        owner = schema._schema.get_type(TYPE_OF[kind])
        assert isinstance(owner, GraphQLObjectType)
        for name, (tie, paged) in ties.items():
            assert name in owner.fields, (kind, name)
            returned = get_named_type(owner.fields[name].type)
            assert isinstance(returned, GraphQLObjectType)
            neighbour = TIE_STEPS[tie].kind
            if paged:
                assert returned.name.endswith("Connection"), (kind, name, returned.name)
                node = get_named_type(returned.fields["nodes"].type)
                assert neighbour is not None
                assert node.name == TYPE_OF[neighbour], (kind, name)
            else:
                assert "Connection" not in returned.name, (kind, name)
                assert neighbour is not None
                assert returned.name == TYPE_OF[neighbour], (kind, name)
