"""Notes verbales sent as PDF or DOCX: typed by content, text extracted and classified."""

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.intake.models import AssistanceRequest, Attachment
from tests.factories import auth, docx, portal_key, scanned_pdf, text_pdf

NOTE = [
    "The Permanent Mission of the Republic of Kenya presents its compliments to UNODC",
    "and requests technical assistance to draft regulations on the identification of",
    "terrorist financing risks in non-profit organisations, following the ESAAMLG mutual",
    "evaluation, and to train the Financial Reporting Centre on suspicious transaction",
    "reports linked to the financing of terrorism and on targeted financial sanctions.",
]
FORM = {"body": "Please see the attached note verbale.", "requesting_state": "KEN"}


def _post(
    api: TestClient,
    key: str,
    files: list[tuple[str, tuple[str, bytes, str]]],
    data: dict[str, str] | None = None,
):  # type: ignore[no-untyped-def]
    return api.post("/api/v1/requests", data=data or FORM, files=files, headers=auth(key))


def test_pdf_attachment_text_is_extracted_and_classified(api: TestClient, session: Session) -> None:
    key = portal_key(session, state="KEN")
    pdf = text_pdf(NOTE)
    response = _post(api, key, [("attachments", ("note.pdf", pdf, "application/pdf"))])
    assert response.status_code == 201, response.text
    data = response.json()
    assert data["attachments"][0]["media_type"] == "application/pdf"
    assert data["attachments"][0]["has_text_layer"] is True
    assert data["triage"]["areas"][0]["id"] == "financing"
    stored = session.scalars(select(Attachment)).one()
    assert "non-profit organisations" in stored.extracted_text
    assert stored.content == pdf  # the file itself, byte for byte
    assert str(stored.id) == data["attachments"][0]["id"]


def test_docx_attachment_is_accepted_whatever_its_name(api: TestClient, session: Session) -> None:
    key = portal_key(session, state="KEN")
    response = _post(
        api, key, [("attachments", ("scan.bin", docx(NOTE), "application/octet-stream"))]
    )
    assert response.status_code == 201, response.text
    attachment = response.json()["attachments"][0]
    assert attachment["media_type"].endswith("wordprocessingml.document")
    assert response.json()["triage"]["areas"][0]["id"] == "financing"


def test_scanned_pdf_is_accepted_and_flagged_for_review(api: TestClient, session: Session) -> None:
    key = portal_key(session, state="KEN")
    data = {
        "body": "Request for training of prosecutors on returning foreign terrorist "
        "fighters; the signed note verbale is attached.",
        "requesting_state": "KEN",
    }
    response = _post(
        api, key, [("attachments", ("signed.pdf", scanned_pdf(), "application/pdf"))], data
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["attachments"][0]["has_text_layer"] is False
    assert body["triage"]["decision"] != "auto_routed"
    assert body["status"] in {"needs_review", "out_of_scope"}
    assert "text layer" in (body["review_reason"] or "")


def test_file_that_is_not_pdf_or_docx_is_422_even_if_named_pdf(
    api: TestClient, session: Session
) -> None:
    key = portal_key(session, state="KEN")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
    response = _post(api, key, [("attachments", ("note.pdf", png, "application/pdf"))])
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "attachments"]
    assert session.scalar(select(func.count()).select_from(AssistanceRequest)) == 0


def test_corrupt_pdf_is_422(api: TestClient, session: Session) -> None:
    key = portal_key(session, state="KEN")
    response = _post(
        api, key, [("attachments", ("note.pdf", b"%PDF-1.7\n garbage", "application/pdf"))]
    )
    assert response.status_code == 422
    assert session.scalar(select(func.count()).select_from(AssistanceRequest)) == 0


def test_attachment_over_10_mb_is_413(api: TestClient, session: Session) -> None:
    key = portal_key(session, state="KEN")
    big = text_pdf(NOTE) + b"%" + b"0" * (10 * 1024 * 1024)
    response = _post(api, key, [("attachments", ("big.pdf", big, "application/pdf"))])
    assert response.status_code == 413
    assert session.scalar(select(func.count()).select_from(AssistanceRequest)) == 0


def test_multipart_fields_are_validated_like_json(api: TestClient, session: Session) -> None:
    key = portal_key(session, state="KEN")
    response = _post(
        api,
        key,
        [("attachments", ("n.pdf", text_pdf(NOTE), "application/pdf"))],
        {"body": "x", "requesting_state": "KEN", "colour": "blue"},
    )
    assert response.status_code == 422
    missing = _post(
        api,
        key,
        [("attachments", ("n.pdf", text_pdf(NOTE), "application/pdf"))],
        {"requesting_state": "KEN"},
    )
    assert missing.status_code == 422
    assert session.scalar(select(func.count()).select_from(AssistanceRequest)) == 0
