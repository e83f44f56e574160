"""Entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`, or `python wsgi.py` to serve."""

from app import create_app
from app.serving import freeze_startup_objects

app = create_app()
# Start-up objects live as long as the process: out of the collector's passes (see there).
freeze_startup_objects()

if __name__ == "__main__":
    from app.server import serve

    serve(app)
