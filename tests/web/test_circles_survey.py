"""The circles page takes a raw survey export through preview -> mapping -> commit (issue 15, item 5)."""

from __future__ import annotations

import base64
import re
from pathlib import Path

from flok.circles import CircleOptions, form
from flok.io.circles import read_tables, write_survey
from flok.io.mapping import ImportSpec

from .conftest import Web


def _survey(tmp_path: Path, n: int = 60) -> tuple[Path, Path]:
    survey, circles, _truth = write_survey(tmp_path, n, seed=15)
    return survey, circles


def test_a_raw_survey_is_previewed_mapped_and_formed(web: Web, tmp_path: Path) -> None:
    token = web.sign_in()
    survey, circles = _survey(tmp_path)
    files = {
        "participants": ("survey.csv", survey.read_bytes(), "text/csv"),
        "circles": ("circles.csv", circles.read_bytes(), "text/csv"),
    }
    form_data = {"csrf_token": token, "preset": "gsb-circles-survey", "mode": "optimize", "min_size": "5"}
    shown = web.client.post("/ui/circles/preview", data=form_data, files=files)
    assert shown.status_code == 200 and "Nothing is formed yet" in shown.text
    # The preset's mapping is shown on the selects, in the survey's own words.
    assert '<option value="Encoded ID" selected>' in shown.text
    assert "1st Choice Days and Times of Week" in shown.text
    # The generator writes a few unreadable times: each is listed, and forming waits for a choice.
    assert 'id="dropped"' in shown.text and "cannot be read" in shown.text
    assert 'id="commit"' not in shown.text
    carried = {
        "csrf_token": token,
        "participants_data": base64.b64encode(survey.read_bytes()).decode(),
        "participants_name": "survey.csv",
        "circles_data": base64.b64encode(circles.read_bytes()).decode(),
        "circles_name": "circles.csv",
        "preset": "gsb-circles-survey",
        "mode": "optimize",
        "min_size": "5",
        "max_size": "10",
        "lenient": "yes",
    }
    again = web.client.post("/ui/circles/preview", data=carried)
    assert again.status_code == 200 and 'id="commit"' in again.text, again.text
    assert re.search(r"Form circles from 60 rows", again.text)
    done = web.client.post("/ui/circles/commit", data=carried)
    assert done.url.path == "/ui/circles" and "Circles formed." in done.text
    # What was stored is what the library forms from the same files read with the same preset.
    people, existing = read_tables(survey, circles, participants_spec=ImportSpec(preset="gsb-circles-survey"))
    expected = form(people, existing, CircleOptions(lenient_times=True, time_limit=20.0))
    assert f"From survey.csv and circles.csv · mode optimize · {expected.matched} of" in done.text


def test_a_wrong_preset_or_a_bad_answer_is_refused_with_its_row_and_nothing_is_formed(
    web: Web, tmp_path: Path
) -> None:
    token = web.sign_in()
    survey, _ = _survey(tmp_path)
    files = {"participants": ("survey.csv", survey.read_bytes(), "text/csv")}
    wrong = web.client.post(
        "/ui/circles/preview", data={"csrf_token": token, "preset": "lms-wide"}, files=files
    )
    assert 'role="alert"' in wrong.text and "no preset for circle participants" in wrong.text
    bad = survey.read_text(encoding="utf-8").replace("Always Host", "Hosts on Tuesdays", 1)
    files = {"participants": ("survey.csv", bad.encode(), "text/csv")}
    data = {"csrf_token": token, "preset": "gsb-circles-survey", "lenient": "yes"}
    shown = web.client.post("/ui/circles/preview", data=data, files=files)
    assert "Hosts on Tuesdays" in shown.text and "Volunteering to Host?" in shown.text
    assert 'id="commit"' not in shown.text
    done = web.client.post("/ui/circles/commit", data=data, files=files)
    assert 'role="alert"' in done.text and "Hosts on Tuesdays" in done.text
    assert "From survey.csv" not in done.text  # nothing was formed from the refused file
