"""A seeded generator of raw alumni-circles survey exports, with the answer each cell means.

The rows look like what staff download from their survey tool (see the ``gsb-circles-survey``
import preset): free-text statuses in several spellings, "Always Host"/"Sometimes Host"/"Never
Host" or nothing, co-leaders' "Max New Members" answers ("None", "0", "2", "No limit", blank),
ranked subregions written with different dashes and the odd full stop or typo, and meeting times
in the forms people type ("M-Th", "Evenings (M-Th)", "after 6pm", "Varies"), a few unreadable.

Alongside the rows it returns the **truth**: what every answer means, worked out here from the
answer templates, without Flok's parsers. A test that reads the file and compares each person
with the truth finds any silent misread. Only data, never files (`flok.io.circles` writes them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ALL_DAYS = frozenset(range(7))
ALL_PARTS = frozenset(range(3))
MON_THU = frozenset(range(4))
WEEKDAYS = frozenset(range(5))
WEEKEND = frozenset({5, 6})
MORNING, AFTERNOON, EVENING = 0, 1, 2
# (answer as typed, its meaning as (days, parts of day) groups whose cells are united)
TIME_ANSWERS: tuple[tuple[str, tuple[tuple[frozenset[int], frozenset[int]], ...]], ...] = (
    ("M-Th", ((MON_THU, ALL_PARTS),)),
    ("Tu/Th", ((frozenset({1, 3}), ALL_PARTS),)),
    ("Evenings (M-Th)", ((MON_THU, frozenset({EVENING})),)),
    ("Monday-Thursday (Evenings)", ((MON_THU, frozenset({EVENING})),)),
    ("Weekends", ((WEEKEND, ALL_PARTS),)),
    ("Varies", ((ALL_DAYS, ALL_PARTS),)),
    ("Any time", ((ALL_DAYS, ALL_PARTS),)),
    ("after 6pm", ((ALL_DAYS, frozenset({EVENING})),)),
    ("Tuesday Evenings", ((frozenset({1}), frozenset({EVENING})),)),
    ("Wednesday evening", ((frozenset({2}), frozenset({EVENING})),)),
    ("Weekday evenings", ((WEEKDAYS, frozenset({EVENING})),)),
    ("Saturday mornings", ((frozenset({5}), frozenset({MORNING})),)),
    ("Sunday afternoon", ((frozenset({6}), frozenset({AFTERNOON})),)),
    ("Weekends or weekday evenings", ((WEEKEND, ALL_PARTS), (WEEKDAYS, frozenset({EVENING})))),
    ("Monday-Thursday (Evenings), Weekends", ((MON_THU, frozenset({EVENING})), (WEEKEND, ALL_PARTS))),
    ("M/W evenings", ((frozenset({0, 2}), frozenset({EVENING})),)),
    ("Thursday", ((frozenset({3}), ALL_PARTS),)),
    ("before noon", ((ALL_DAYS, frozenset({MORNING})),)),
)
UNREADABLE_TIMES = ("TBD", "depends on my travel schedule", "every other week", "when the kids are at camp")
# region → (id code of its existing circles, subregions; the last is its virtual option)
REGIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "San Francisco": (
        "SFO",
        (
            "San Francisco - Peninsula",
            "San Francisco - East Bay",
            "San Francisco - City",
            "San Francisco - South Bay",
            "Virtual - Pacific Time",
        ),
    ),
    "Seattle": ("SEA", ("Seattle - Eastside", "Seattle - City", "Virtual - Pacific Time")),
    "New York": (
        "NYC",
        ("New York - Manhattan", "New York - Brooklyn", "New York - Westchester", "Virtual - Eastern Time"),
    ),
    "London": ("LON", ("London - Central", "London - West", "Virtual - GMT")),
}
REGION_SHARE = (0.45, 0.2, 0.25, 0.1)
TYPOS = {
    "San Francisco - Peninsula": "San Francisco - Pennisula",
    "New York - Manhattan": "New York - Manhatten",
}
STATUSES = (("NEW", "NEW"), ("WAITLIST", "WAITLIST"), ("MOVING OUT", "MOVING_OUT"))
HOSTS = (("Always Host", 2), ("Sometimes Host", 1), ("Never Host", 0), ("", 0))
MAX_NEW = (("None", 0), ("0", 0), ("1", 1), ("2", 2), ("3", 3), ("", None), ("No limit", -1))
INDUSTRIES = (
    "Technology",
    "Finance",
    "Consulting",
    "Healthcare",
    "Nonprofit",
    "Energy",
    "Media",
    "Education",
)
EMPLOYMENT = ("Employed full-time", "Employed part-time", "Self-employed", "Retired", "Not employed")
RACES = ("Asian", "Black", "Hispanic or Latina", "White", "Multiracial", "Prefer not to say")
CHILDREN = ("No children", "Children under 18", "Adult children")
MEETING_TIMES = (
    "Tuesday Evening",
    "Wednesday Evening",
    "Thursday Evening",
    "Monday Evening",
    "Saturday Morning",
)
HEADERS = (
    "Encoded ID",
    "First Name",
    "Email",
    "Status",
    "Current Circle ID",
    "Current Co-Leader?",
    "Co-Leader Response: Max New Members",
    "(Non CLs) Volunteering to Co-Lead?",
    "Requested Region",
    "1st Choice Subregion/ Time Zone",
    "2nd Choice Subregion/ Time Zone",
    "3rd Choice Subregion/ Time Zone",
    "1st Choice Days and Times of Week",
    "2nd Choice Days and Times of Week",
    "3rd Choice Days and Times of Week",
    "Volunteering to Host?",
    "GSB Class Year",
    "Employment Status",
    "Industry Sector",
    "Racial Identity",
    "Children",
)
TIME_HEADERS = HEADERS[12:15]
LOCATION_HEADERS = HEADERS[9:12]


@dataclass(frozen=True)
class Truth:
    """What one survey row means, derived from the templates (not from Flok's readers)."""

    pid: str
    row: int  # the row in the file (the header is row 1)
    status: str  # NEW, CONTINUING, MOVING_OUT, WAITLIST (a continuing member of an unknown circle: NEW)
    current_circle: str
    host: int
    co_lead: bool | None
    current_co_leader: bool
    max_new: int | None  # -1: no limit
    places: tuple[str, ...]  # the subregion each location answer means, in rank order, repeats dropped
    masks: tuple[int, ...]  # the cells of each time answer (0: blank or unreadable)


@dataclass
class Survey:
    """A raw export (``rows`` under ``HEADERS``), its existing circles (Flok's circles.csv columns)
    and what the rows mean."""

    rows: list[dict[str, str]]
    circles: list[dict[str, str]]
    truth: list[Truth]
    unreadable: list[tuple[int, str, str]] = field(default_factory=list)  # (row, header, value)
    typos: set[str] = field(default_factory=set)  # misspelt subregions that were written
    unknown_circles: list[str] = field(default_factory=list)  # ids of continuing members' unknown circles


def mask_of(groups: tuple[tuple[frozenset[int], frozenset[int]], ...]) -> int:
    """Cells of (days × parts) groups, united: bit day·3 + part, as `flok.circles.timeslots` uses."""
    mask = 0
    for days, parts in groups:
        for d in days:
            for p in parts:
                mask |= 1 << (d * 3 + p)
    return mask


def _variant(rng: np.random.Generator, place: str) -> str:
    """The same place as people type it: other dashes, no spaces, a full stop, lower case."""
    roll = rng.random()
    if roll < 0.08:
        return place.replace(" - ", "-")
    if roll < 0.14:
        return place.replace(" - ", " – ")
    if roll < 0.18:
        return place.replace(" - ", " — ") + "."
    if roll < 0.21:
        return place.lower()
    return place


def generate_survey(n: int = 600, *, seed: int = 0) -> Survey:
    """``n`` survey rows in four regions, about a quarter of them continuing in existing circles."""
    rng = np.random.default_rng(seed)
    names = list(REGIONS)
    circles: list[dict[str, str]] = []
    circle_of_region: dict[str, list[dict[str, str]]] = {}
    for region, (code, places) in REGIONS.items():
        count = {"San Francisco": 12, "Seattle": 5, "New York": 8, "London": 3}[region]
        own = []
        for k in range(count):
            virtual = k == count - 1 and region in ("San Francisco", "New York")
            place = places[-1] if virtual else places[k % (len(places) - 1)]
            prefix = ("VO-PST" if code == "SFO" else "VO-EST") if virtual else f"IP-{code}"
            cid = f"{prefix}-{k + 1:02d}"
            own.append(
                {
                    "circle_id": cid,
                    "region": region,
                    "location": place,
                    "meeting_time": MEETING_TIMES[int(rng.integers(len(MEETING_TIMES)))],
                    "max_additions": "",
                }
            )
        circles += own
        circle_of_region[region] = own
    survey = Survey(rows=[], circles=circles, truth=[])
    leaders: dict[str, int] = {}
    ids: set[str] = set()
    for i in range(n):
        pid = f"{int(rng.integers(10**10, 10**11))}"  # an encoded id: 11 digits
        while pid in ids:
            pid = f"{int(rng.integers(10**10, 10**11))}"
        ids.add(pid)
        region = names[int(rng.choice(len(names), p=REGION_SHARE))]
        code, places = REGIONS[region]
        row = dict.fromkeys(HEADERS, "")
        row["Encoded ID"] = pid
        row["First Name"] = f"Alum{i + 1:04d}"
        row["Email"] = f"alum{i + 1:04d}@example.org"
        row["Requested Region"] = region
        roll = rng.random()
        current, status = "", "NEW"
        co_leader, max_new = False, None
        if roll < 0.27:
            circle = circle_of_region[region][int(rng.integers(len(circle_of_region[region])))]
            current = circle["circle_id"]
            status = "CONTINUING"
            row["Status"] = str(rng.choice(["CURRENT-CONTINUING", "Current-CONTINUING"]))
            if not survey.unknown_circles or rng.random() < 0.01:
                current = f"IP-{code}-{90 + int(rng.integers(9))}"  # a circle the circles file lacks
                survey.unknown_circles.append(current)
                status = "NEW"
            row["Current Circle ID"] = current
            if status == "CONTINUING" and leaders.get(current, 0) < 2:
                leaders[current] = leaders.get(current, 0) + 1
                co_leader = True
                answer, max_new = MAX_NEW[int(rng.integers(len(MAX_NEW)))]
                row["Co-Leader Response: Max New Members"] = answer
            row["Current Co-Leader?"] = "Yes" if co_leader else str(rng.choice(["No", ""]))
        else:
            text, status = STATUSES[int(rng.choice(3, p=[0.86, 0.08, 0.06]))]
            row["Status"] = text
        co_lead: bool | None = None
        if not co_leader:
            answer = str(rng.choice(["Yes", "No", ""], p=[0.15, 0.6, 0.25]))
            row["(Non CLs) Volunteering to Co-Lead?"] = answer
            co_lead = {"Yes": True, "No": False}.get(answer)
        host_text, host = HOSTS[int(rng.choice(4, p=[0.2, 0.35, 0.35, 0.1]))]
        row["Volunteering to Host?"] = host_text
        chosen = rng.choice(len(places), size=int(rng.integers(1, 4)), replace=False)
        meant: list[str] = []
        for k, j in enumerate(chosen):
            place = places[int(j)]
            if place in TYPOS and (TYPOS[place] not in survey.typos or rng.random() < 0.02):
                place = TYPOS[place]
                survey.typos.add(place)
                written = place
            else:
                written = _variant(rng, place)
            row[LOCATION_HEADERS[k]] = written
            if place not in meant:
                meant.append(place)
        masks: list[int] = []
        for k in range(3):
            if k and rng.random() < 0.35:
                masks.append(0)
                continue
            if rng.random() < 0.02:
                value = UNREADABLE_TIMES[int(rng.integers(len(UNREADABLE_TIMES)))]
                row[TIME_HEADERS[k]] = value
                survey.unreadable.append((i + 2, TIME_HEADERS[k], value))
                masks.append(0)
                continue
            text, groups = TIME_ANSWERS[int(rng.integers(len(TIME_ANSWERS)))]
            row[TIME_HEADERS[k]] = text
            masks.append(mask_of(groups))
        row["GSB Class Year"] = str(int(rng.integers(1975, 2023)))
        row["Employment Status"] = str(rng.choice(EMPLOYMENT))
        row["Industry Sector"] = str(rng.choice(INDUSTRIES))
        row["Racial Identity"] = str(rng.choice(RACES))
        row["Children"] = str(rng.choice(CHILDREN))
        survey.rows.append(row)
        survey.truth.append(
            Truth(
                pid=pid,
                row=i + 2,
                status=status,
                current_circle=current,
                host=host,
                co_lead=co_lead,
                current_co_leader=co_leader,
                max_new=max_new,
                places=tuple(meant),
                masks=tuple(masks),
            )
        )
    return survey
