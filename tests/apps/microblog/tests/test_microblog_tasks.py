from datetime import UTC, datetime

from app import __version__


def test_a_task_is_queued_and_completed_by_the_job(microblog_client, microblog_app):
    answer = microblog_client.post("/tasks", data={"seconds": "0"})
    assert answer.status_code == 202
    task_id = answer.json["id"]
    # The queue ran the job in the request (is_async=False): RQ knows it as finished.
    job = microblog_app.task_queue.fetch_job(task_id)
    assert job.get_status() == "finished"
    status = microblog_client.get(f"/tasks/{task_id}").json
    assert status["complete"] is True
    assert status["version"] == __version__
    finished = datetime.fromisoformat(status["finished"])
    assert finished.tzinfo is not None
    assert abs((datetime.now(UTC) - finished).total_seconds()) < 60


def test_a_task_outside_the_bounds_is_refused(microblog_client, microblog_app):
    assert microblog_client.post("/tasks", data={"seconds": "61"}).status_code == 400
    assert microblog_client.post("/tasks", data={"seconds": "-1"}).status_code == 400
    assert microblog_app.task_queue.count == 0


def test_an_unknown_task_is_404(microblog_client):
    assert microblog_client.get("/tasks/nope").status_code == 404


def test_the_job_outside_of_a_request_uses_the_app_of_its_own(
    make_microblog, monkeypatch, tmp_path
):
    """In `rq worker` no app is around: the job makes one (create_app()) and keeps it."""
    from app import db, tasks
    from app.models import Task

    created = []
    worker_app = make_microblog(SQLALCHEMY_DATABASE_URI="sqlite:///" + str(tmp_path / "worker.db"))
    monkeypatch.setattr(tasks, "create_app", lambda: created.append(1) or worker_app)
    monkeypatch.setattr(tasks, "_app", None)
    with worker_app.app_context():
        db.create_all()
        db.session.add(Task(id="t1", name="slow_task"))
        db.session.commit()
    tasks.slow_task("t1", 0)
    with worker_app.app_context():
        assert db.session.get(Task, "t1").complete
    with worker_app.app_context():
        db.session.add(Task(id="t2", name="slow_task"))
        db.session.commit()
    tasks.slow_task("t2", 0)
    assert created == [1]
