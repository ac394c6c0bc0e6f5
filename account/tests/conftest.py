import pytest


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed(): ...` runs the block's on-commit callbacks (the emails) as it ends,
    as a real commit would: each test runs inside one transaction that never commits."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
