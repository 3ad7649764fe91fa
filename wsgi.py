"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi …`."""

from app import create_app, edge, log_format

app = create_app()
# The process's log lines, in the format PERMITFLOW_LOG_FORMAT names (json for a log collector).
log_format.configure(edge.of(app).settings.log_format)
