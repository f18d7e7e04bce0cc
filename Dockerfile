# One image for every service: `accessreview service NAME` picks the service.
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY services ./services
COPY schemas ./schemas
COPY docs ./docs
RUN pip install . && useradd --uid 10001 --create-home accessreview
USER 10001
ENV AR_SCHEMA_DIR=/app/schemas/avro AR_LOG_FORMAT=json
ENTRYPOINT ["accessreview"]
CMD ["--help"]
