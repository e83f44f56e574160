"""Entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`, or `python wsgi.py` to serve."""

from app import create_app

app = create_app()

if __name__ == "__main__":
    from app.server import serve

    serve(app)
