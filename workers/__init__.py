"""Celery app and task entry points. Tasks take IDs and call services; services never import
tasks."""

from workers.celery import app as celery_app

__all__ = ["celery_app"]
