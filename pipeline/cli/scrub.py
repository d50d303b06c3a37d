"""``cleanse scrub``: a send-ready list for one channel (sms, e-mail or call) and a summary of what each
reason removed. Every option value is checked against what the rules know before the file is read, so a typo in
a segment or age band is exit 2, never an empty list sent on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pipeline.cli.conventions import (
    ForceOpt,
    MapOpt,
    QuietOpt,
    ReferenceDateOpt,
    RulesOpt,
    SheetOpt,
    VerboseOpt,
    date_option,
    failures_as_exits,
    reading_options,
    sweep_leftovers,
)


def scrub(
    file: Annotated[Path, typer.Argument(help="The member file.")],
    channel: Annotated[str, typer.Option("--channel", help="sms, email or call.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The send list to write: .csv or .xlsx.")],
    suppress: Annotated[
        list[Path] | None,
        typer.Option("--suppress", help="A suppression list (any format; phones, e-mails or ID numbers). Repeatable."),
    ] = None,
    segment: Annotated[list[str] | None, typer.Option("--segment", help="Only this RFM segment (repeatable).")] = None,
    city: Annotated[list[str] | None, typer.Option("--city", help="Only this locality (repeatable).")] = None,
    age_band: Annotated[
        list[str] | None, typer.Option("--age-band", help="Only this age band (the rules' bands: 16-24 ... 65+).")
    ] = None,
    consent_since: Annotated[
        str | None,
        typer.Option(
            "--consent-since",
            help="Only members whose consent date is on or after this date (YYYY-MM-DD or DD/MM/YYYY).",
        ),
    ] = None,
    sheet: SheetOpt = None,
    map_: MapOpt = None,
    reference_date: ReferenceDateOpt = None,
    rules: RulesOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Write a send-ready list for one channel: consent, valid addresses, no suppressed, deceased or opted-out
    members, each address once; print how many each reason removed."""
    import json

    from pipeline import export, outputs
    from pipeline.console import print_scrub
    from pipeline.errors import InputError
    from pipeline.places_filter import canonical_cities
    from pipeline.rulefile import load_rules
    from pipeline.runner import process
    from pipeline.scrub import CHANNELS, Filters, choose, require_columns
    from pipeline.scrub import scrub as scrub_members
    from pipeline.stages.enrich import age_band_labels
    from pipeline.suppression import Suppression, load_suppression

    console = Console(quiet=quiet, highlight=False)
    with failures_as_exits(verbose):
        # every option value is checked before the file is read: a typo is exit 2, never an empty list
        channel = choose("--channel", [channel], CHANNELS)[0]
        if out.suffix.lower() not in (".csv", ".xlsx"):
            raise InputError(f"--out must end in .csv or .xlsx, not {out.suffix or '(nothing)'!r}", path=out)
        # the output policy, before any work: never onto the member file, a suppression list or the rules
        summary_path = out.with_name(out.stem + ".summary.json")
        for written in (out, summary_path):
            outputs.check_file(written, inputs=(file, *(suppress or ()), rules), force=force)
        sweep_leftovers(out.parent, quiet=quiet)
        loaded = load_rules(rules)
        segments = choose("--segment", segment or [], [s.name for s in loaded.scoring.segments])
        bands = choose("--age-band", age_band or [], age_band_labels(loaded.scoring.age_bands))
        since = date_option(consent_since, option="--consent-since")
        suppression = Suppression()
        for path in suppress or []:
            suppression = suppression | load_suppression(path, rules=loaded)
        result = process(
            file,
            rules=loaded,
            options=reading_options(sheet=sheet, map_=map_, reference_date=reference_date, keep_identities=True),
        )
        cities = result.members.get_column("city").drop_nulls().unique().to_list() if city else []
        filters = Filters(
            segments=segments,
            cities=canonical_cities(city or [], rules=loaded, known=cities),
            age_bands=bands,
            consent_since=since,
        )
        require_columns(
            channel,  # type: ignore[arg-type]
            mapped=result.mapping.fields(),
            unmapped=result.mapping.unmapped,
            rules=loaded,
            filters=filters,
            refusals=[m.header for m in result.mapping.opt_outs],
        )
        scrubbed = scrub_members(
            result.members,
            channel=channel,  # type: ignore[arg-type]
            suppression=suppression,
            filters=filters,
            identities=result.identities,
        )
        if out.suffix.lower() == ".xlsx":
            outputs.atomic_write(out, lambda p: export.write_xlsx(scrubbed.send_list, p, sheet=channel), force=force)
        else:
            outputs.atomic_write(out, lambda p: export.write_csv(scrubbed.send_list, p), force=force)
        # a held mapping too: a notes column read as nothing may hide a member's death
        warnings = [*scrubbed.warnings, *suppression.warnings, *result.mapping.warnings]
        summary = {
            "schema": "cleanse.scrub",
            "schema_version": 1,
            "file": str(file),
            "channel": channel,
            "members": scrubbed.members,
            "sent": scrubbed.send_list.height,
            "removed": scrubbed.removed,
            "suppression_entries": suppression.size,
            "suppression": {
                "phones": len(suppression.phones),
                "emails": len(suppression.emails),
                "national_ids": len(suppression.national_ids),
            },
            "warnings": warnings,
        }
        outputs.atomic_file(summary_path, json.dumps(summary, ensure_ascii=False, indent=2) + "\n", force=force)
        print_scrub(console, summary, out=str(out))
        if quiet:  # warnings are never quiet
            err = Console(stderr=True, highlight=False, soft_wrap=True)
            for warning in warnings:
                err.print(f"cleanse: warning: {warning}", markup=False)
