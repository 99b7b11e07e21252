"""Similar requests on the request page: near duplicates across languages and States, and
same-theme requests from the same region."""

import re
import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.auth.models import User
from app.intake.models import AssistanceRequest
from tests import factories
from tests.desk_support import sign_in, submit

ENGLISH = (
    "The Office of the Attorney-General requests UNODC support to train forty prosecutors on "
    "the investigation and prosecution of returning foreign terrorist fighters, including the "
    "admissibility of battlefield evidence, as called for by Security Council resolution 2396 "
    "(2017)."
)
FRENCH = (
    "Le Bureau du Procureur général sollicite l'appui de l'ONUDC pour former quarante "
    "procureurs aux enquêtes et aux poursuites visant les combattants terroristes étrangers de "
    "retour, y compris la recevabilité des preuves recueillies sur le champ de bataille, comme "
    "le demande la résolution 2396 (2017) du Conseil de sécurité."
)
PRISONS = (
    "The prison administration requests UNODC support to train prison officers on the "
    "management of violent extremist prisoners and the prevention of radicalization in prisons."
)


def _similar(html: str) -> list[tuple[str, bool]]:
    section = (
        html.split('id="near-duplicates"')[1].split("</table>")[0]
        if ('id="near-duplicates"' in html)
        else ""
    )
    rows = re.findall(
        r"<tr><td><a href=\"/desk/requests/[^\"]+\">([^<]+)</a>( <span class=\"badge warn\">)?",
        section,
    )
    return [(reference, bool(flag)) for reference, flag in rows]


def test_the_same_request_in_french_from_another_state_is_a_near_duplicate(
    desk: TestClient, session: Session, officer: User
) -> None:
    original = submit(desk, factories.portal_key(session, state="NGA"), ENGLISH, state="NGA")
    translated = submit(desk, factories.portal_key(session, state="NER"), FRENCH, state="NER")
    unrelated = submit(desk, factories.portal_key(session, state="GHA"), PRISONS, state="GHA")
    sign_in(desk, "officer")
    found = dict(_similar(desk.get(f"/desk/requests/{original['id']}").text))
    assert found.get(str(translated["reference"])) is True
    assert str(unrelated["reference"]) not in found


def test_the_same_wording_sent_twice_is_a_near_duplicate(
    desk: TestClient, session: Session, officer: User
) -> None:
    first = submit(desk, factories.portal_key(session, state="NGA"), ENGLISH, state="NGA")
    second = submit(desk, factories.portal_key(session, state="KEN"), ENGLISH, state="KEN")
    sign_in(desk, "officer")
    found = dict(_similar(desk.get(f"/desk/requests/{second['id']}").text))
    assert found == {str(first["reference"]): True}


def test_same_theme_requests_of_a_sub_region_suggest_a_joint_activity(
    desk: TestClient, session: Session, officer: User
) -> None:
    created = [
        submit(desk, factories.portal_key(session, state=state), ENGLISH, state=state)
        for state in ("NGA", "GHA", "SEN", "KEN")
    ]
    long_ago = created[1]
    session.execute(
        update(AssistanceRequest)
        .where(AssistanceRequest.id == uuid.UUID(str(long_ago["id"])))
        .values(received_at=datetime.now(UTC) - timedelta(days=200))
    )
    session.commit()
    sign_in(desk, "officer")
    page = desk.get(f"/desk/requests/{created[0]['id']}").text
    cluster = page.split('id="regional-cluster"')[1].split("</div>")[0]
    assert "Western Africa" in cluster
    assert "2 States: NGA, SEN" in cluster
    assert str(created[2]["reference"]) in cluster
    assert str(long_ago["reference"]) not in cluster  # outside the 90 days
    assert str(created[3]["reference"]) not in cluster  # Eastern Africa
    assert "3 States" in cluster.split("Africa</th>")[-1]  # NGA, SEN, KEN in the region
