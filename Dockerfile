# Production image: the one-shot migrate, the web server, the Celery workers and beat all run from it.
FROM python:3.11-slim AS app

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system app && useradd --system --gid app --home-dir /app --shell /usr/sbin/nologin app
WORKDIR /app

COPY requirements/base.txt requirements/base.txt
RUN pip install --require-hashes --no-deps -r requirements/base.txt

COPY --chown=app:app . .
# Built GOV.UK Frontend and Chart.js assets are committed, so no Node is needed here.
RUN DEBUG=false SECRET_KEY=collectstatic-only python manage.py collectstatic --no-input --verbosity 0 \
    && mkdir -p /app/var && chown -R app:app /app/var

USER app
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--config", "gunicorn.conf.py"]
