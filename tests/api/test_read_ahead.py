"""The read-ahead registry names real fields of the right shape (no database needed).

``api.types.TIE_FIELDS`` says which tie each field reads; a renamed or reshaped field would
only lose its read-ahead (the loader then reads the page itself), so nothing else fails.
"""

from __future__ import annotations

from graphql import GraphQLObjectType, get_named_type
from strawberry.types.nodes import SelectedField, Selection

from api.schema import schema
from api.types import MAX_AHEAD_DEPTH, MAX_AHEAD_TIES, TIE_FIELDS, _ahead, _size
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


def _chain(levels: int) -> list[Selection]:
    """`parent { parent { … { id } } }`, ``levels`` deep."""
    selections: list[Selection] = [SelectedField("id", {}, {}, [])]
    for _ in range(levels):
        selections = [SelectedField("parent", {}, {}, selections)]
    return selections


def test_a_deep_selection_is_read_ahead_in_statements_of_bounded_depth() -> None:
    """A chain of 11 `parent` ties in one statement took the planner past the database's time
    limit; each statement now reads at most MAX_AHEAD_DEPTH ties deep, and what a parent
    primes is exactly what its child then asks for."""
    for levels in range(1, 12):
        ahead = _ahead(Kind.REGION, _chain(levels))
        depth, _ = _size(ahead)
        assert depth <= MAX_AHEAD_DEPTH
        if levels <= MAX_AHEAD_DEPTH:
            assert depth == levels
        if ahead:
            # The parent's own resolver computes the plan its caller primed for it.
            (first_tie,) = ahead
            assert _ahead(Kind.REGION, _chain(levels - 1)) == first_tie.ahead
    wide: list[Selection] = [SelectedField(f"parent{i}", {}, {}, []) for i in range(20)]
    assert _ahead(Kind.REGION, wide) == ()  # no such fields
    aliased: list[Selection] = [
        SelectedField("children", {}, {"first": i}, []) for i in range(1, 20)
    ]
    assert _ahead(Kind.REGION, aliased) == ()  # more ties than one statement should read
    assert len(_ahead(Kind.REGION, aliased[:MAX_AHEAD_TIES])) == MAX_AHEAD_TIES
