"""Plain keyword functions that create what tests need, through the services."""

import io

from docx import Document
from pypdf import PdfWriter
from sqlalchemy.orm import Session

from app.auth import service as auth_service
from app.auth.models import User
from app.catalogue.loader import get_catalogue

DEFAULT_PASSWORD = "correct horse battery staple"


def portal_key(session: Session, *, state: str = "NGA", name: str | None = None) -> str:
    known = frozenset(s.iso3 for s in get_catalogue().states)
    return auth_service.create_api_key(session, state_iso3=state, name=name, known_states=known).key


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def user(
    session: Session,
    *,
    username: str = "officer",
    role: str = "officer",
    password: str = DEFAULT_PASSWORD,
) -> User:
    return auth_service.create_user(session, username=username, role=role, password=password)


def request_body(
    text: str | None = None, *, state: str = "NGA", **extra: object
) -> dict[str, object]:
    return {
        "body": text
        or (
            "The Office of the Attorney-General requests UNODC support to train forty "
            "prosecutors on the investigation and prosecution of returning foreign terrorist "
            "fighters, including the admissibility of battlefield evidence, as called for by "
            "Security Council resolution 2396 (2017)."
        ),
        "requesting_state": state,
        **extra,
    }


def text_pdf(lines: list[str]) -> bytes:
    """A small PDF with a real text layer (Helvetica, one line per entry)."""
    ops = ["BT", "/F1 11 Tf", "14 TL", "60 760 Td"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"({escaped}) Tj T*")
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def scanned_pdf() -> bytes:
    """A PDF whose only page has no text layer, as a scanner produces."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def docx(paragraphs: list[str]) -> bytes:
    document = Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
