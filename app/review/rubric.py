"""The rubric: the default criteria and the checks an edited rubric must pass (pure)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from app.review.stats import SCALES, Criterion

#: The default rubric of the brief (flow 8), in English and French.
DEFAULT_CRITERIA: list[dict[str, Any]] = [
    {"key": "courtesy", "weight": 2.0, "points": 4, "na_allowed": False, "critical": False,
     "name": {"en": "Courtesy and tone", "fr": "Courtoisie et ton"},
     "description": {"en": "Polite, warm, calm even with an angry customer; no jargon.",
                     "fr": "Poli, chaleureux, calme même face à un client en colère ; "
                           "sans jargon."}},
    {"key": "accuracy", "weight": 2.0, "points": 4, "na_allowed": False, "critical": False,
     "name": {"en": "Accuracy and usefulness", "fr": "Exactitude et utilité"},
     "description": {"en": "The answer is right and moves the case forward (next step, link, "
                           "ticket).",
                     "fr": "La réponse est juste et fait avancer le cas (étape suivante, lien, "
                           "ticket)."}},
    {"key": "humour", "weight": 1.0, "points": 3, "na_allowed": True, "critical": False,
     "name": {"en": "Appropriateness of humour", "fr": "Pertinence de l'humour"},
     "description": {"en": "Humour fits the customer's mood and the brand; N/A when there is "
                           "none.",
                     "fr": "L'humour convient à l'humeur du client et à la marque ; N/A s'il "
                           "n'y en a pas."}},
    {"key": "personal_data", "weight": 1.0, "points": 2, "na_allowed": False, "critical": True,
     "name": {"en": "Personal-data discipline", "fr": "Discipline sur les données "
                                                      "personnelles"},
     "description": {"en": "No personal data in public; sensitive cases moved to private.",
                     "fr": "Aucune donnée personnelle en public ; cas sensibles passés en "
                           "privé."}},
    {"key": "form", "weight": 1.0, "points": 3, "na_allowed": False, "critical": False,
     "name": {"en": "Signature and form", "fr": "Signature et forme"},
     "description": {"en": "Signed, within the channel's length, spelling and punctuation.",
                     "fr": "Signée, dans la longueur du canal, orthographe et ponctuation."}},
]

MAX_CRITERIA = 12
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class RubricError(ValueError):
    """A rubric that cannot be saved: ``problems`` lists (row, code) pairs (row None = whole)."""

    def __init__(self, problems: list[tuple[int | None, str]]) -> None:
        super().__init__(", ".join(code for _row, code in problems))
        self.problems = problems


def criteria_of(rubric: Sequence[Mapping[str, Any]]) -> list[Criterion]:
    """The arithmetic's view of stored criteria."""
    return [Criterion(key=str(c["key"]), weight=float(c["weight"]), points=int(c["points"]),
                      na_allowed=bool(c.get("na_allowed")), critical=bool(c.get("critical")))
            for c in rubric]


def localized(value: Mapping[str, str] | str | None, locale: str) -> str:
    """A stored {en, fr} text in the reader's language (the other one when missing)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return value.get(locale) or value.get("en") or value.get("fr") or ""


def parse_rows(rows: Sequence[Mapping[str, str]]) -> list[dict[str, Any]]:
    """Check the rows of the rubric form and return the criteria to store.

    A row whose key, names and descriptions are all empty is skipped (the blank rows the
    form offers); a row marked ``remove`` is dropped. Raises ``RubricError`` with every
    problem found, so that the form can show them all at once.
    """
    problems: list[tuple[int | None, str]] = []
    criteria: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, row in enumerate(rows):
        texts = [(row.get(f) or "").strip() for f in
                 ("key", "name_en", "name_fr", "description_en", "description_fr")]
        if row.get("remove") or not any(texts):
            continue
        key, name_en, name_fr, desc_en, desc_fr = texts
        if not _KEY.match(key):
            problems.append((index, "bad_key"))
        elif key in seen:
            problems.append((index, "duplicate_key"))
        seen.add(key)
        if not name_en or not name_fr or len(name_en) > 80 or len(name_fr) > 80:
            problems.append((index, "name_required"))
        if len(desc_en) > 400 or len(desc_fr) > 400:
            problems.append((index, "description_too_long"))
        try:
            weight = float((row.get("weight") or "").replace(",", "."))
        except ValueError:
            weight = float("nan")
        if not weight > 0 or weight > 100:
            problems.append((index, "weight_not_positive"))
        try:
            points = int(row.get("points") or "")
        except ValueError:
            points = 0
        if points not in SCALES:
            problems.append((index, "bad_scale"))
        criteria.append({
            "key": key, "weight": weight, "points": points,
            "na_allowed": bool(row.get("na_allowed")), "critical": bool(row.get("critical")),
            "name": {"en": name_en, "fr": name_fr},
            "description": {"en": desc_en, "fr": desc_fr},
        })
    if not criteria:
        problems.append((None, "no_criteria"))
    if len(criteria) > MAX_CRITERIA:
        problems.append((None, "too_many_criteria"))
    if problems:
        raise RubricError(problems)
    return criteria
