"""Attachments: type checked by content, text extracted from PDF and DOCX."""

import hashlib
import io
import logging
import zipfile
from dataclasses import dataclass

import filetype
from docx import Document
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from app.errors import InvalidInput, PayloadTooLarge

log = logging.getLogger(__name__)

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ACCEPTED = {PDF: "PDF", DOCX: "DOCX"}
# Below this many letters a PDF page set is treated as a scan without a text layer.
MIN_TEXT_LETTERS = 20
MAX_EXTRACTED_CHARS = 200_000


@dataclass(frozen=True)
class ExtractedAttachment:
    filename: str
    media_type: str
    size_bytes: int
    sha256: str
    text: str
    has_text_layer: bool
    content: bytes


def sniff(content: bytes) -> str | None:
    """The media type by magic bytes; DOCX is told from other zip files by its parts."""
    if content.startswith(b"%PDF-"):
        return PDF
    kind = filetype.guess(content)
    if kind is not None and kind.mime == DOCX:
        return DOCX
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                if "word/document.xml" in archive.namelist():
                    return DOCX
        except zipfile.BadZipFile:
            return None
    return None


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    if reader.is_encrypted and not reader.decrypt(""):
        return ""
    pages = []
    for page in reader.pages:
        pages.append(page.extract_text() or "")
        if sum(map(len, pages)) > MAX_EXTRACTED_CHARS:
            break
    return "\n".join(pages)


def _docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def extract(filename: str, content: bytes, *, max_bytes: int) -> ExtractedAttachment:
    """Check and read one attachment; raises InvalidInput for a type or file it cannot take."""
    name = (filename or "attachment").replace("\x00", "")[:255]
    if len(content) > max_bytes:
        raise PayloadTooLarge(f"{name}: attachments are limited to {max_bytes // (1024 * 1024)} MB")
    if not content:
        raise InvalidInput(f"{name}: empty file", field="attachments")
    media_type = sniff(content)
    if media_type is None:
        raise InvalidInput(
            f"{name}: only PDF and DOCX documents are accepted (checked by content)",
            field="attachments",
        )
    try:
        text = _pdf_text(content) if media_type == PDF else _docx_text(content)
    except (PdfReadError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InvalidInput(
            f"{name}: the {ACCEPTED[media_type]} file could not be read", field="attachments"
        ) from exc
    except Exception as exc:
        # Parsers of untrusted documents fail in many ways; none of them is a server fault.
        log.warning("attachment parser failed on %s: %s", name, type(exc).__name__)
        raise InvalidInput(
            f"{name}: the {ACCEPTED[media_type]} file could not be read", field="attachments"
        ) from exc
    text = text.replace("\x00", "")[:MAX_EXTRACTED_CHARS]
    letters = sum(ch.isalpha() for ch in text)
    return ExtractedAttachment(
        filename=name,
        media_type=media_type,
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        text=text.strip(),
        has_text_layer=letters >= MIN_TEXT_LETTERS,
        content=content,
    )
