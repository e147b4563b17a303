"""WSGI entry point: ``gunicorn flaskstack_sample.wsgi:app``."""

from flaskstack_sample import create_app

app = create_app()
