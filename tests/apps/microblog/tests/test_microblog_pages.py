import sqlalchemy as sa
from app import __version__, db
from app.models import Post


def test_index_lists_posts_from_the_database(microblog_client):
    db.session.add(Post(body="first post"))
    db.session.commit()
    page = microblog_client.get("/")
    assert page.status_code == 200
    assert "first post" in page.text
    assert f"Microblog {__version__}" in page.text


def test_index_without_posts(microblog_client):
    page = microblog_client.get("/")
    assert "No posts yet." in page.text


def test_new_post_is_stored(microblog_client):
    answer = microblog_client.post("/posts", data={"body": "hello"})
    assert answer.status_code == 302
    assert db.session.scalar(sa.select(Post.body)) == "hello"


def test_new_post_refuses_empty_and_long_bodies(microblog_client):
    assert microblog_client.post("/posts", data={"body": "  "}).status_code == 400
    assert microblog_client.post("/posts", data={"body": "x" * 141}).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Post.id))) == 0


def test_the_stylesheet_is_linked_and_served(microblog_client):
    assert 'href="/static/style.css"' in microblog_client.get("/").text
    assert microblog_client.get("/static/style.css").status_code == 200
