"""Job handlers (ingest, embed, re-index, train) and the two queues that run them: Celery over
Redis (distributed mode) and threads in this process (embedded mode)."""
