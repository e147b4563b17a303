import contextlib
import sys
import time
from datetime import UTC, datetime

from flask import current_app, has_app_context

from app import __version__, create_app, db
from app.models import Task

# The RQ worker imports this module outside of any application: it makes its own, once.
_app = None


def _app_context():
    global _app
    if has_app_context():
        return contextlib.nullcontext()
    if _app is None:
        _app = create_app()
    return _app.app_context()


def slow_task(task_id, seconds):
    with _app_context():
        try:
            time.sleep(seconds)
            task = db.session.get(Task, task_id)
            task.complete = True
            task.finished = datetime.now(UTC)
            task.version = __version__
            db.session.commit()
            current_app.logger.info("task %s complete after %s s", task_id, seconds)
        except Exception:
            current_app.logger.error("Unhandled exception", exc_info=sys.exc_info())
            raise
