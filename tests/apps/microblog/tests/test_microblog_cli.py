from app import __version__, db
from app.models import Post, Snapshot, Task


def test_stats_snapshot_records_the_counts_and_the_version(microblog_runner):
    db.session.add_all(
        [Post(body="a"), Post(body="b"), Task(id="t", name="slow_task", complete=True)]
    )
    db.session.commit()
    result = microblog_runner.invoke(args=["stats", "snapshot"])
    assert result.exit_code == 0, result.output
    snapshot = db.session.scalars(db.select(Snapshot)).one()
    assert (snapshot.posts, snapshot.tasks_complete, snapshot.version) == (2, 1, __version__)


def test_stats_page_shows_the_latest_snapshots(microblog_runner, microblog_client):
    microblog_runner.invoke(args=["stats", "snapshot"])
    microblog_runner.invoke(args=["stats", "snapshot"])
    snapshots = microblog_client.get("/stats").json["snapshots"]
    assert [s["id"] for s in snapshots] == [2, 1]
