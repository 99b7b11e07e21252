"""Who writes in which language, how busy each State is, and when requests arrive."""

import bisect
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from app.catalogue.loader import Catalogue

# States whose ministries usually write in a language other than English (official or working
# language); the rest of the membership writes mostly in English.
_LANGUAGE_STATES = {
    "ar": "DZA BHR COM DJI EGY IRQ JOR KWT LBN LBY MRT MAR OMN PSE QAT SAU SOM SDN SYR TUN ARE YEM",
    "es": "ARG BOL CHL COL CRI CUB DOM ECU SLV GTM HND MEX NIC PAN PRY PER URY VEN ESP GNQ",
    "fr": "FRA BEL CHE LUX MCO BEN BFA BDI CMR CAF TCD COD COG CIV GAB GIN MDG MLI NER RWA SEN "
    "TGO HTI",
    "ru": "RUS BLR KAZ KGZ TJK UZB TKM ARM AZE MDA",
    "zh": "CHN",
}
HOME_LANGUAGE = {
    iso3: language for language, states in _LANGUAGE_STATES.items() for iso3 in states.split()
}
# Share of a State's requests written in its home language; the others come in English,
# French or Spanish (regional organisations, consultants, portal forms).
HOME_SHARE = 0.8
OTHER_LANGUAGES = ("en", "en", "en", "fr", "es", "ar", "ru", "zh")
WEEKEND_FACTOR = 0.3
GROWTH = 0.6  # the last day is this much busier than the first


@dataclass(frozen=True)
class StateProfile:
    """Requesting States with cumulative weights: a few States ask far more than most."""

    iso3: tuple[str, ...]
    cumulative: tuple[float, ...]

    @classmethod
    def build(cls, catalogue: Catalogue, rng: random.Random) -> "StateProfile":
        codes = tuple(s.iso3 for s in catalogue.states)
        weights = [rng.paretovariate(1.2) for _ in codes]
        total = 0.0
        cumulative = []
        for weight in weights:
            total += weight
            cumulative.append(total)
        return cls(codes, tuple(c / total for c in cumulative))

    def pick(self, rng: random.Random) -> str:
        index = bisect.bisect_left(self.cumulative, rng.random())
        return self.iso3[min(index, len(self.iso3) - 1)]


def language_for(state: str, rng: random.Random) -> str:
    home = HOME_LANGUAGE.get(state, "en")
    if rng.random() < HOME_SHARE:
        return home
    return rng.choice(OTHER_LANGUAGES)


def arrival_times(
    count: int, *, start: datetime, end: datetime, rng: random.Random
) -> list[datetime]:
    """`count` sorted arrival times in [start, end): busier on weekdays and as time goes on."""
    first, last = start.timestamp(), end.timestamp()
    span = last - first
    peak = 1.0 + GROWTH
    stamps: list[float] = []
    while len(stamps) < count:
        moment = first + rng.random() * span
        weight = 1.0 + GROWTH * (moment - first) / span
        weekday = math.floor(moment / 86400 + 3) % 7  # 1970-01-01 was a Thursday (3)
        if weekday >= 5:
            weight *= WEEKEND_FACTOR
        if rng.random() * peak < weight:
            stamps.append(moment)
    stamps.sort()
    return [datetime.fromtimestamp(s, UTC) for s in stamps]


def lognormal_hours(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


def pick_other(rng: random.Random, choices: Sequence[str], avoid: str) -> str:
    while True:
        choice = rng.choice(choices)
        if choice != avoid or len(choices) == 1:
            return choice
