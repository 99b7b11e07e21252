"""Keyset-pagination cursors: an opaque token for the (timestamp, id) of a page's last row."""

import base64
import binascii
import uuid
from datetime import datetime

from app.errors import InvalidInput


def encode_cursor(moment: datetime | None, ident: uuid.UUID) -> str:
    raw = f"{moment.isoformat() if moment else ''}|{ident}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The (timestamp, id) a cursor carries; 422 for anything this module did not write."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stamp, _, ident = base64.urlsafe_b64decode(padded.encode()).decode().partition("|")
        moment = datetime.fromisoformat(stamp)
        if moment.tzinfo is None:
            raise ValueError("naive")
        return moment, uuid.UUID(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput("cursor is not valid", field="cursor") from exc
