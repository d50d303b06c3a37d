"""``cleanse inspect``: a preview of what a run would make of a file, from its first rows, as a table or as
JSON for scripts. It writes nothing, so it takes none of the output options.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pipeline.cli.conventions import MapOpt, RulesOpt, SheetOpt, ShowPiiOpt, VerboseOpt, failures_as_exits


def inspect(
    file: Annotated[Path, typer.Argument(help="The member file: .xlsx, .csv/.tsv/.txt or .parquet.")],
    json_: Annotated[bool, typer.Option("--json", help="Print the preview as JSON (for scripts).")] = False,
    sheet: SheetOpt = None,
    map_: MapOpt = None,
    rules: RulesOpt = None,
    show_pii: ShowPiiOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Preview what a run would make of a file, from its first rows: the sheet and header row, each column's
    field with method and confidence, masked sample values, and what would be carried through. Writes nothing."""
    import json

    from pipeline.console import print_inspection
    from pipeline.inspect import inspect_file
    from pipeline.mapping import parse_overrides
    from pipeline.rulefile import load_rules

    with failures_as_exits(verbose):
        loaded = load_rules(rules)
        found = inspect_file(file, rules=loaded, sheet=sheet, overrides=parse_overrides(map_ or []), show_pii=show_pii)
        if json_:
            typer.echo(json.dumps(found.to_dict(), ensure_ascii=False, indent=2))
        else:
            print_inspection(Console(highlight=False), found)
