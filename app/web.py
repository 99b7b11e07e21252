"""Server-rendered pages: one autoescaped Jinja2 environment per interface language."""

import io
from pathlib import Path
from typing import Any
from urllib.parse import quote

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.responses import HTMLResponse, RedirectResponse, Response

PACKAGE = Path(__file__).resolve().parent
TEMPLATES = PACKAGE / "templates"
STATIC = PACKAGE / "static"
TRANSLATIONS = PACKAGE / "translations"
LOCALES = ("en", "fr")
DEFAULT_LOCALE = "en"
HTML_PREFIXES = ("/desk", "/dashboards")


def _translations(locale: str) -> NullTranslations:
    """Gettext translations compiled in memory from the .po catalogue (no build step)."""
    po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    if locale == DEFAULT_LOCALE or not po.exists():
        return NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def make_templates() -> dict[str, Jinja2Templates]:
    """An environment per locale, so concurrent renders never share a language switch."""
    environments = {}
    for locale in LOCALES:
        env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=True,
            extensions=["jinja2.ext.i18n"],
            undefined=StrictUndefined,
        )
        env.install_gettext_translations(_translations(locale), newstyle=True)  # type: ignore[attr-defined]
        env.globals["locale"] = locale
        environments[locale] = Jinja2Templates(env=env)
    return environments


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    locale: str | None = None,
) -> HTMLResponse:
    environments: dict[str, Jinja2Templates] = request.app.state.templates
    templates = environments.get(locale or DEFAULT_LOCALE, environments[DEFAULT_LOCALE])
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def wants_html(request: Request) -> bool:
    return request.url.path.startswith(HTML_PREFIXES)


def error_page(request: Request, status_code: int, code: str, message: str) -> Response:
    """Desk and dashboard errors as pages; an expired session goes back to sign-in."""
    if code == "not_signed_in":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/desk/login?next={quote(target, safe='/?=&')}", status_code=303)
    return render(
        request,
        "error.html",
        {"status_code": status_code, "code": code, "message": message},
        status_code=status_code,
    )
