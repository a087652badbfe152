"""``python -m cobuild`` is the ``cobuild`` command."""

from cobuild.cli import app

app(prog_name="cobuild")
