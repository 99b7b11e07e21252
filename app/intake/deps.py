"""Parsing a submission: a JSON body, or multipart form fields with PDF/DOCX attachments."""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from app.errors import InvalidInput
from app.intake.attachments import ExtractedAttachment, extract
from app.intake.schemas import AssistanceRequestCreate
from app.settings import Settings

FORM_FIELDS = ("body", "title", "requesting_state", "language", "contact")


@dataclass(frozen=True)
class ParsedSubmission:
    body: AssistanceRequestCreate
    attachments: list[ExtractedAttachment]


def _validate(data: Any) -> AssistanceRequestCreate:
    try:
        if isinstance(data, bytes):
            return AssistanceRequestCreate.model_validate_json(data)
        return AssistanceRequestCreate.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from exc


async def parse_submission(request: Request) -> ParsedSubmission:
    settings: Settings = request.app.state.settings
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        return await _parse_multipart(
            request, settings.max_attachments, settings.max_attachment_bytes
        )
    if content_type not in ("application/json", ""):
        raise InvalidInput("send application/json, or multipart/form-data with attachments")
    raw = await request.body()
    return ParsedSubmission(body=_validate(raw), attachments=[])


async def _parse_multipart(request: Request, max_files: int, max_bytes: int) -> ParsedSubmission:
    try:
        form = await request.form(max_files=max_files, max_fields=20)
    except MultiPartException as exc:
        raise InvalidInput(f"malformed multipart body: {exc.message}") from exc
    except HTTPException as exc:
        # Starlette reports a malformed body or too many parts as a bare 400.
        raise InvalidInput(f"multipart body refused: {exc.detail}") from exc
    fields: dict[str, Any] = {}
    files: list[UploadFile] = []
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if key != "attachments":
                raise InvalidInput(f"unexpected file field {key!r}; use 'attachments'", field=key)
            files.append(value)
        elif key in fields:
            raise InvalidInput(f"field {key!r} given twice", field=key)
        elif value != "" or key not in ("title", "language", "contact"):
            fields[key] = value
    body = _validate(fields)
    attachments = []
    try:
        for upload in files:
            content = await upload.read(max_bytes + 1)
            attachments.append(
                extract(upload.filename or "attachment", content, max_bytes=max_bytes)
            )
    finally:
        await form.close()
    return ParsedSubmission(body=body, attachments=attachments)


async def parse_preview(request: Request) -> AssistanceRequestCreate:
    return _validate(await request.body())


async def idempotency_key(
    key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> str | None:
    if key is None:
        return None
    if not key.strip() or not key.isascii() or not key.isprintable():
        raise InvalidInput(
            "Idempotency-Key must be 1-200 printable ASCII characters", field="Idempotency-Key"
        )
    return key


SubmissionDep = Annotated[ParsedSubmission, Depends(parse_submission)]
PreviewDep = Annotated[AssistanceRequestCreate, Depends(parse_preview)]
IdempotencyKeyDep = Annotated[str | None, Depends(idempotency_key)]

# Inline: no route takes the model as a body parameter, so FastAPI would not list it under
# components and a $ref to it would dangle (clients and fuzzers then see no JSON body at all).
CREATE_SCHEMA: dict[str, Any] = AssistanceRequestCreate.model_json_schema()
REQUEST_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": CREATE_SCHEMA},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["body", "requesting_state"],
                    "properties": {
                        **{f: {"type": "string"} for f in FORM_FIELDS},
                        "attachments": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "PDF or DOCX, at most 10 MB each",
                        },
                    },
                }
            },
        },
    }
}
PREVIEW_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": CREATE_SCHEMA}},
    }
}
