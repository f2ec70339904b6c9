"""The notebooks' kernel is always this interpreter: no kernelspec lookup in the user's home, no
NoSuchKernel, the same packages the build runs with."""

from __future__ import annotations

import copy
import sys

import nbformat

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import KernelManager

KERNEL_NAME = "python3"


class ThisInterpreterKernelManager(KernelManager):
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
