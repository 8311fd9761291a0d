# Praxis agent image. Build: docker build -t praxis-agent .
# Stage 1 compiles what needs compiling (fastecdsa wants gcc and GMP headers);
# stage 2 holds only the virtualenv, the shipped tools and configs, and runs as a non-root user.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends gcc libc6-dev libgmp-dev python3-dev \
    && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/praxis
WORKDIR /src
# Dependencies first (their layer survives source changes), then the package itself.
COPY pyproject.toml constraints.txt README.md ./
RUN python3 -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && /opt/praxis/bin/pip install -q -c constraints.txt -r requirements.txt
COPY src ./src
COPY configs ./configs
COPY tools ./tools
# pip leaves compiled bytecode beside every module: kept, so that a start imports without
# compiling (PYTHONDONTWRITEBYTECODE below only stops writes at run time).
RUN /opt/praxis/bin/pip install -q --no-deps .

FROM python:3.11-slim
ENV PATH=/opt/praxis/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CONFIG_FILE=/app/configs/agent.yaml \
    PRAXIS_USER=praxis \
    PRAXIS_EXECUTION__ALLOW_UNSANDBOXED=true \
    PRAXIS_WRITABLE_DIRS="/app/data /app/keys /app/logs /app/shared"
RUN useradd --uid 10001 --create-home --shell /usr/sbin/nologin praxis \
    && mkdir -p /app/configs /app/data /app/keys /app/logs /app/shared /app/tools \
    && chown -R praxis:praxis /app
COPY --from=build /opt/praxis /opt/praxis
COPY --chown=praxis:praxis tools /app/tools
COPY --chown=praxis:praxis configs /app/configs
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
WORKDIR /app
EXPOSE 8000 4001
VOLUME ["/app/data", "/app/keys", "/app/logs", "/app/shared"]
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python3", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status == 200 else 1)"]
# The entry point starts as root, gives the mounted folders to `praxis`, and drops to it.
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["praxis-agent", "run"]
