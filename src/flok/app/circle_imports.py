"""The circles page's uploads: a raw survey export read through the import layer, previewed first.

The same steps as a campaign's upload (``flok.app.imports``): the file is read with a mapping or a
shipped preset (``gsb-circles-survey``), a preview says what was understood and every answer that
was not, and nothing is formed until the organizer commits. The existing circles file is read
with no mapping of its own, so the survey's mapping never touches it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from flok.app.imports import headers_of
from flok.circles import CircleOptions
from flok.circles.roster import roster_from_tables
from flok.errors import InputError
from flok.io.importer import Kind, fields_of, import_table
from flok.io.mapping import ImportSpec, load_preset, preset_names
from flok.io.preview import Preview, summarize
from flok.table import Table

KIND: Kind = "circle-participants"


def survey_presets() -> list[str]:
    """The shipped presets made for circle participants (a preferences preset would be refused)."""
    return [name for name in preset_names() if load_preset(name).kind == KIND]


def survey_fields() -> tuple[str, ...]:
    return fields_of(KIND)


def read_survey(data: bytes, name: str, spec: ImportSpec) -> Table:
    """The participants' file (a survey export, any dialect or xlsx) as the roster's table."""
    return import_table(data, KIND, spec, name=name)[0]


def read_existing(data: bytes, name: str) -> Table:
    """The existing circles' file, read without the survey's mapping."""
    return import_table(data, "circles", None, name=name)[0]


@dataclass(frozen=True)
class SurveyPreview:
    """What Flok read of a survey and every answer it could not read, before anything is formed."""

    preview: Preview
    headers: list[str]
    problems: list[str]  # answers not understood (the roster's reader, every one named)
    dropped: list[str]  # unreadable times that a lenient run drops (row, column, value)
    warnings: list[str]


def preview_survey(
    data: bytes,
    name: str,
    spec: ImportSpec,
    options: CircleOptions,
    circles: tuple[bytes, str] | None = None,
) -> SurveyPreview:
    """Read the survey (and existing circles) as a formation would, stopping before the solve."""
    table, report = import_table(data, KIND, spec, name=name)
    seen = summarize(table, report, KIND)
    existing = read_existing(*circles) if circles else None
    problems: list[str] = []
    dropped: list[str] = []
    warnings: list[str] = []
    try:
        roster = roster_from_tables(table, existing, replace(options, lenient_times=True))
    except InputError as exc:
        problems.append(exc.one_line())
    else:
        for issue in roster.issues:
            column = issue.column or issue.field
            dropped.append(f"row {issue.row}, column '{column}': '{issue.value}' ({issue.message})")
        warnings = list(roster.warnings)
        if dropped and not options.lenient_times:
            problems.append(
                f"{len(dropped)} meeting time(s) cannot be read (listed below): fix them in the file, "
                "or tick 'drop unreadable times' to leave out only those wishes"
            )
    return SurveyPreview(seen, headers_of(data, name, spec), problems, dropped, warnings)
