"""Turning the localities a user types on the command line into the canonical names the clean table holds."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.fields.places import gazetteer, place_key
from pipeline.rules import Rules


def canonical_cities(names: Sequence[str], *, rules: Rules) -> tuple[str, ...]:
    """``ת"א`` -> ``תל אביב - יפו``: exact alias match; an unknown name is kept as typed."""
    gaz = gazetteer(aliases=rules.fields.places_aliases, cbs_file=rules.fields.places_cbs_file)
    out = []
    for name in names:
        entry = gaz.index.get(place_key(name))
        out.append(gaz.names[entry] if entry is not None else name)
    return tuple(out)
