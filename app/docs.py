"""Interactive API documentation served from vendored Swagger UI: no CDN, no inline script."""

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from swagger_ui_bundle import swagger_ui_path

SWAGGER_ASSETS = swagger_ui_path
router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{title} · API</title>
  <link rel="stylesheet" href="/static/swagger/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui" data-openapi-url="/openapi.json"></div>
  <script src="/static/swagger/swagger-ui-bundle.js"></script>
  <script src="/static/docs-init.js"></script>
</body>
</html>
"""


@router.get("/docs")
def docs() -> HTMLResponse:
    return HTMLResponse(PAGE.format(title="Counter-terrorism technical assistance triage"))
