# The cobuild API as a container; Neo4j runs as its own service (docker-compose.yml).

# The explorer page, built from its lock file; only web/dist goes into the image.
FROM node:20-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/index.html web/tsconfig.json web/vite.config.ts ./
COPY web/src ./src
RUN npm run build

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_COMPILE_BYTECODE=1
WORKDIR /app
RUN pip install --no-cache-dir uv==0.13.9
COPY pyproject.toml uv.lock README.md ./
COPY cobuild ./cobuild
COPY graph ./graph
COPY ingest ./ingest
COPY queries ./queries
COPY api ./api
COPY --from=web /web/dist ./web/dist
RUN uv sync --frozen --no-dev
RUN useradd --system --uid 10001 cobuild
USER cobuild
EXPOSE 8000
CMD ["/app/.venv/bin/cobuild", "serve"]
