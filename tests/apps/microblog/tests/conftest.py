import os
import sys

import fakeredis
import pytest
import rq

# The app runs from its own folder (`flask run`, `gunicorn microblog:app`, `rq worker`): so do
# the tests.
PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if PROJECT_DIR not in sys.path:
    sys.path.insert(0, PROJECT_DIR)

from app import babel, create_app, db  # noqa: E402
from config import Config  # noqa: E402


class TestingConfig(Config):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    REDIS_URL = "redis://localhost:6379/15"


def _make_app(**settings):
    """The app with TestingConfig and these settings; jobs run at once, in the request, against
    a Redis of Python's own (fakeredis)."""
    app = create_app(type("Settings", (TestingConfig,), settings))
    # Flask-Babel caches the catalogs per locale for the process, whatever the app: start afresh.
    with app.app_context():
        babel.domain_instance.cache.clear()
    app.redis = fakeredis.FakeRedis()
    app.task_queue = rq.Queue(app.config["TASK_QUEUE"], connection=app.redis, is_async=False)
    return app


@pytest.fixture
def microblog_dir():
    return PROJECT_DIR


@pytest.fixture
def make_microblog():
    return _make_app


@pytest.fixture
def microblog_app():
    app = _make_app()
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()


@pytest.fixture
def microblog_client(microblog_app):
    return microblog_app.test_client()


@pytest.fixture
def microblog_runner(microblog_app):
    return microblog_app.test_cli_runner()
