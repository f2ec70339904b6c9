"""`make lab` as a reviewer meets it: the Jupyter server the [lab] extra brings starts on a free local port with a
token, offers a kernel that runs this project's interpreter, and a reviewer notebook's cells run in it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from conftest import REPO

pytestmark = pytest.mark.slow
pytest.importorskip("jupyterlab", reason="the [lab] extra is not installed (make lab-install; CI installs it)")
pytest.importorskip("jupyter_server", reason="the [lab] extra is not installed (make lab-install; CI installs it)")

TOKEN = "review-test-token"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def api(port: int, path: str, method: str = "GET", body: dict | None = None) -> dict | list:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read()
    return json.loads(text) if text else {}


@pytest.fixture
def server(tmp_path):
    """JupyterLab's server on the repository's notebooks, with its runtime files in a temporary folder."""
    port = free_port()
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={REPO / 'notebooks'}",
         "--ServerApp.port_retries=0", *(["--allow-root"] if os.geteuid() == 0 else [])],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                api(port, "/api/status")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    pytest.fail("JupyterLab did not start:\n" + (process.stdout.read() or "")[-2000:])
                time.sleep(0.5)
        yield port, tmp_path / "runtime"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_jupyterlab_offers_the_project_kernel_and_runs_a_reviewer_notebook_cell(server):
    from jupyter_client import BlockingKernelClient

    port, runtime = server
    specs = api(port, "/api/kernelspecs")
    default = specs["kernelspecs"][specs["default"]]["spec"]
    # An absolute path must be this environment's interpreter; a bare "python" is replaced by the server's own.
    command = default["argv"][0]
    assert command in ("python", "python3") or Path(command).parent == Path(sys.executable).parent, command

    kernel = api(port, "/api/kernels", "POST", {"name": specs["default"], "path": "reviewer_screening.ipynb"})
    try:
        client = BlockingKernelClient(connection_file=str(runtime / f"kernel-{kernel['id']}.json"))
        client.load_connection_file()
        client.start_channels()
        client.wait_for_ready(timeout=60)

        def run(code: str) -> list[str]:
            texts: list[str] = []

            def keep(message):
                content = message["content"]
                if message["msg_type"] == "stream":
                    texts.append(content["text"])
                elif message["msg_type"] in ("execute_result", "display_data"):
                    texts.append(content["data"].get("text/plain", ""))
                elif message["msg_type"] == "error":
                    texts.append(f"{content['ename']}: {content['evalue']}")

            reply = client.execute_interactive(code, timeout=120, output_hook=keep)
            assert reply["content"]["status"] == "ok", texts
            return texts

        [prefix] = run("import sys, pipeline; print(sys.prefix)")
        assert prefix.strip() == sys.prefix  # the project's venv, where pipeline is installed
        notebook = nbformat.read(REPO / "notebooks" / "reviewer_screening.ipynb", as_version=4)
        code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
        run(code[0])  # the parameters cell: project_root = ".."
        run(code[1])  # the workbench reads the committed ledger and records
        [counted] = run("len(records), len(ledger)")
        records, decisions = (int(x) for x in counted.strip("()\n").split(","))
        assert records > 1000 and decisions > 1000
        client.stop_channels()
    finally:
        api(port, f"/api/kernels/{kernel['id']}", "DELETE")
