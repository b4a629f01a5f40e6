"""The application: settings, the per-process runtime, the services the UI and CLI call, search,
the serving model and the job-queue interface."""
