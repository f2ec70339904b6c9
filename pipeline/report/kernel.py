"""The notebooks' kernel is always this interpreter: no kernelspec lookup in the user's home, no
NoSuchKernel, the same packages the build runs with."""

from __future__ import annotations

import copy
import sys
from typing import Any

import nbformat

from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import KernelManager
from traitlets import DottedObjectName

KERNEL_NAME = "python3"


class _SharedClient(BlockingKernelClient):
    """One client for every notebook of a build. nbclient asks the manager for a new client per notebook and
    waits until it is ready, and a ready wait ends with 0.2 s of listening for stray messages: 2 s a build.
    nbclient matches every reply to its own request, so messages left over from one notebook are ignored by
    the next."""

    def start_channels(self, *args: Any, **kwargs: Any) -> None:
        if not self.channels_running:
            super().start_channels(*args, **kwargs)

    def wait_for_ready(self, timeout: float | None = None) -> None:
        if not getattr(self, "_ready", False):
            super().wait_for_ready(timeout=timeout)
            self._ready = True


class ThisInterpreterKernelManager(KernelManager):
    """The kernel runs this interpreter, and hands every caller the same client."""

    client_class = DottedObjectName(f"{__name__}._SharedClient")
    _shared_client: _SharedClient | None = None

    def client(self, **kwargs: Any) -> _SharedClient:
        if self._shared_client is None:
            self._shared_client = super().client(**kwargs)
        return self._shared_client

    def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
        if self._shared_client is not None:
            self._shared_client.stop_channels()
            self._shared_client = None
        super().shutdown_kernel(now=now, restart=restart)

    @property
    def kernel_spec(self) -> KernelSpec:
        return KernelSpec(
            # log_level=ERROR: the kernel's start-up chatter is not the reader's or the reviewer's business.
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                  "--IPKernelApp.log_level=ERROR"],
            display_name=f"Python {sys.version_info.major}.{sys.version_info.minor} (review)",
            language="python",
            env={"MPLBACKEND": "Agg", "PYDEVD_DISABLE_FILE_VALIDATION": "1"},
        )


RESET_TAG = "lsr-reset-namespace"


def with_namespace_reset(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with a first cell that clears the user namespace, so none depends on another notebook's
    variables while the imported modules stay loaded (the reason one kernel serves the whole build). It runs
    through papermill's own client: a separate client per reset cost more than the reset."""
    notebook = copy.deepcopy(notebook)
    notebook.cells.insert(0, nbformat.v4.new_code_cell("get_ipython().reset(new_session=False)",
                                                       metadata={"tags": [RESET_TAG]}))
    return notebook


def without_namespace_reset(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    notebook.cells = [c for c in notebook.cells if RESET_TAG not in c.get("metadata", {}).get("tags", [])]
    return notebook
