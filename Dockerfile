# One image for web, worker and beat (docker-compose.yml differs only in the command).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PANEL_VAR_DIR=/app/var
WORKDIR /app
# Every dependency at the exact version of requirements.lock (`make lock`), then the project.
COPY requirements.lock pyproject.toml ./
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
RUN pip install --no-cache-dir --no-deps -e . \
 && ALLOW_DEMO_SECRETS=1 python manage.py collectstatic --noinput
RUN useradd --system --home /app panel && mkdir -p /app/var/media /app/var/private && chown -R panel /app/var
USER panel
EXPOSE 8000
# Migrations are not run here: docker-compose.yml runs them once, as the `migrate` service,
# before web, worker and beat start (replicas starting together would race).
# Granian WSGI, 2 workers with one blocking thread each: measured best throughput and p99
# on these machines (docs/benchmarks.md); size WEB_WORKERS to the cores.
CMD ["sh", "-c", "exec granian --interface wsgi --host 0.0.0.0 --port 8000 --workers ${WEB_WORKERS:-2} --blocking-threads 1 --backpressure ${WEB_BACKPRESSURE:-64} panel.wsgi:application"]
