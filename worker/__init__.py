"""The backend: settings, database, vector index, ingestion, Celery app and tasks."""
