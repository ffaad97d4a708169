"""Serve the progress tab with users-file sign-in, for the browser test (run as a script).

``python tests/_progress_server.py DIR PORT``.  Routes: ``/`` the tab (form for editors only),
``/forced`` the tab with the form shown to everyone, to prove the server refuses viewers.
"""

from __future__ import annotations

import sys

import holoviews as hv
import panel as pn

from dashboard.auth import serve_kwargs, session_user
from dashboard.progress_tab import ProgressTab
from layers.project import Project


def main(project_dir: str, port: int) -> None:
    """Serve until killed."""
    pn.extension("tabulator")
    hv.extension("bokeh", logo=False)
    project = Project.open(project_dir)

    def app():
        return ProgressTab(project, lang="en", user=session_user()).panel()

    def forced():
        return ProgressTab(project, lang="en", user=session_user(), role="editor").panel()

    pn.serve(
        {"/": app, "/forced": forced},
        port=port,
        address="127.0.0.1",
        show=False,
        start=True,
        threaded=False,
        print_url=False,
        websocket_origin=[f"127.0.0.1:{port}", f"localhost:{port}"],
        **serve_kwargs(
            project.path, users_path=project.path / "users.json", secret="test-secret-" + "x" * 32, lang="en"
        ),
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
