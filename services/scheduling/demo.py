"""Demo exam centres and sessions for `pmc up`: 200+ centres at real towns'
coordinates (every overseas département included), sessions over the next 3
months following SC-2."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from eventsourcing.application import AggregateNotFoundError

from services.common.calendar import is_public_holiday
from services.scheduling.application import SchedulingApplication
from services.scheduling.communes import Place, largest_places
from services.scheduling.domain import COLLECTIVE, INDIVIDUAL, PARIS, ExamCentre

OVERSEAS = ("971", "972", "973", "974", "976")
# (weekday, hour, kind, seats): Tuesday and Thursday mornings in a room, Saturday
# afternoons at an individual site.
WEEKLY = ((1, 9, COLLECTIVE, 18), (3, 14, COLLECTIVE, 18), (5, 10, INDIVIDUAL, 2))


def demo_places(count: int = 210) -> list[Place]:
    """The largest town of every département, then the next largest towns."""
    ranked = largest_places(5000)
    chosen: dict[str, Place] = {}
    for place in ranked:
        if place.departement not in {p.departement for p in chosen.values()}:
            chosen[place.insee] = place
    for place in ranked:
        if len(chosen) >= count:
            break
        chosen.setdefault(place.insee, place)
    return list(chosen.values())


def load(app: SchedulingApplication, today: date, weeks: int = 13) -> int:
    """Create the centres and their sessions once; return how many sessions."""
    places = demo_places()
    first = ExamCentre.create_id(f"DEMO-{places[0].insee}")
    try:
        app.repository.get(first)
        return 0
    except AggregateNotFoundError:
        pass
    created = 0
    for n, place in enumerate(places):
        postal_code = place.postal_codes[0] if place.postal_codes else "00000"
        centre = ExamCentre(
            code=f"DEMO-{place.insee}",
            name=f"Centre d'examen de {place.name}",
            address=f"{1 + n % 40} avenue de la République",
            postal_code=postal_code,
            city=place.name,
            departement=place.departement,
            latitude=place.latitude,
            longitude=place.longitude,
            pmr=n % 3 != 0,
            opening_hours="Lundi–samedi 8 h 30 – 18 h 30",
        )
        app.save(centre)
        sessions = []
        for week in range(weeks):
            monday = today - timedelta(days=today.weekday()) + timedelta(weeks=week)
            for weekday, hour, kind, seats in WEEKLY:
                day = monday + timedelta(days=weekday)
                if day <= today or is_public_holiday(day, place.departement):
                    continue
                starts = datetime.combine(day, time(hour), PARIS)
                sessions.append(app.new_session(centre.id, starts, seats, kind))
        app.save(*sessions)
        created += len(sessions)
    return created
