import uuid

import sqlalchemy as sa
from flask import abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import _, get_locale

from app import __version__, db
from app.main import bp
from app.models import Post, Snapshot, Task


@bp.before_app_request
def before_request():
    g.locale = str(get_locale())


@bp.route("/")
@bp.route("/index")
def index():
    posts = db.session.scalars(
        sa.select(Post).order_by(Post.timestamp.desc()).limit(current_app.config["POSTS_PER_PAGE"])
    ).all()
    return render_template("index.html", title=_("Home"), posts=posts, version=__version__)


@bp.route("/posts", methods=["POST"])
def new_post():
    body = request.form.get("body", "").strip()
    if not body or len(body) > 140:
        abort(400)
    db.session.add(Post(body=body))
    db.session.commit()
    return redirect(url_for("main.index"))


@bp.route("/tasks", methods=["POST"])
def launch_task():
    seconds = request.form.get("seconds", 0, type=int)
    if not 0 <= seconds <= 60:
        abort(400)
    task = Task(id=str(uuid.uuid4()), name="slow_task", description=f"sleep {seconds} s")
    db.session.add(task)
    db.session.commit()
    current_app.task_queue.enqueue(
        "app.tasks.slow_task", task.id, seconds, job_id=task.id, job_timeout=seconds + 60
    )
    return task.to_dict(), 202


@bp.route("/tasks/<task_id>")
def task_status(task_id):
    return db.get_or_404(Task, task_id).to_dict()


@bp.route("/stats")
def stats():
    snapshots = db.session.scalars(sa.select(Snapshot).order_by(Snapshot.id.desc()).limit(20))
    return {"snapshots": [snapshot.to_dict() for snapshot in snapshots]}
