# syntax=docker/dockerfile:1
# Build stage: a virtualenv with the service and its pinned dependencies, and a trained model.
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY ml ./ml
COPY migrations ./migrations
RUN pip install --upgrade pip && pip install .
# The image carries a model trained from the corpus it was built with; a registry row is
# created for it by `triage register` in the migration job.
RUN TRIAGE_DATABASE_URL=sqlite:////tmp/build.db TRIAGE_MODEL_DIR=/opt/models \
    triage migrate && TRIAGE_DATABASE_URL=sqlite:////tmp/build.db TRIAGE_MODEL_DIR=/opt/models \
    triage train && rm /tmp/build.db*

# Runtime stage: no compilers, a non-root user, a health check.
FROM python:3.11-slim-bookworm
# Two malloc arenas: threaded workers otherwise grow one arena per thread and their RSS creeps.
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 MALLOC_ARENA_MAX=2 \
    TRIAGE_MODEL_DIR=/srv/models TRIAGE_ENVIRONMENT=production
# /srv/models is where models trained after deployment go; a volume mounted there starts
# out owned by the service user. The model built into the image stays read-only.
RUN groupadd --system triage && useradd --system --gid triage --home /srv triage \
    && mkdir -p /srv/models && chown triage:triage /srv/models
COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/models /opt/models
WORKDIR /srv
COPY alembic.ini ./
COPY migrations ./migrations
USER triage
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"
CMD ["triage", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
