"""Turning the localities a user types on the command line into the canonical names the clean table holds."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from rapidfuzz import fuzz, process

from pipeline.errors import InputError
from pipeline.fields.places import gazetteer, place_key
from pipeline.rules import Rules


def canonical_cities(names: Sequence[str], *, rules: Rules, known: Collection[str] = ()) -> tuple[str, ...]:
    """``ת"א`` -> ``תל אביב - יפו``: an exact match of an official name or alias (spelling variants folded), else
    a city the member file itself holds (``known``). A name that is neither is an ``InputError`` with the
    nearest localities: a filter that matches nothing must not give an empty list in silence."""
    gaz = gazetteer(aliases=rules.fields.places_aliases, cbs_file=rules.fields.places_cbs_file)
    in_file = {place_key(k): k for k in known if k}
    out = []
    for name in names:
        entry = gaz.index.get(place_key(name))
        if entry is not None:
            out.append(gaz.names[entry])
        elif place_key(name) in in_file:
            out.append(in_file[place_key(name)])
        else:
            choices = [*gaz.names, *in_file.values()]
            near = process.extract(place_key(name), [place_key(c) for c in choices], scorer=fuzz.ratio, limit=3)
            hint = ", ".join(repr(choices[i]) for _, score, i in near if score >= 60)
            raise InputError(
                f"--city {name!r} matches no locality"
                + (f"; did you mean {hint}?" if hint else " (official CBS names and their common aliases)")
            )
    return tuple(out)
