"""The French catalogue covers every message of the desk's and the dashboards' pages, with the
same placeholders."""

import re

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from app import web

TEMPLATES = web.TEMPLATES
CATALOGUE = web.TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po"
# The desk's own pages, the dashboards and the shared layout they extend.
SOURCES = [
    TEMPLATES / "base.html",
    TEMPLATES / "error.html",
    *sorted((TEMPLATES / "desk").rglob("*.html")),
    *sorted((TEMPLATES / "dashboards").rglob("*.html")),
]
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _messages() -> set[str | tuple[str, ...]]:
    found: set[str | tuple[str, ...]] = set()
    for path in SOURCES:
        for _, message, _, _ in extract_from_file(
            "jinja2", str(path), options={"extensions": "jinja2.ext.i18n"}
        ):
            found.add(message if isinstance(message, str) else tuple(message))
    return found


def test_every_desk_message_has_a_french_translation() -> None:
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="fr")
    missing = []
    for message in _messages():
        key = message if isinstance(message, str) else message[0]
        entry = catalogue.get(key)
        translated = entry.string if entry is not None else None
        if not translated or (isinstance(translated, tuple) and not all(translated)):
            missing.append(key)
    assert missing == [], f"run pybabel extract/update and translate: {missing}"


def test_translations_keep_their_placeholders() -> None:
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="fr")
    for entry in catalogue:
        if not entry.id:
            continue
        ids = [entry.id] if isinstance(entry.id, str) else list(entry.id)
        strings = [entry.string] if isinstance(entry.string, str) else list(entry.string or ())
        wanted = set(_PLACEHOLDER.findall(ids[-1]))
        for string in filter(None, strings):  # an untranslated entry falls back to English
            assert set(_PLACEHOLDER.findall(string)) == wanted, entry.id


def test_the_catalogue_compiles_and_translates() -> None:
    translations = web._translations("fr")
    assert translations.gettext("Sign in") == "Se connecter"
    assert translations.ngettext("%(num)s request", "%(num)s requests", 2) == "%(num)s demandes"
