"""The notebooks' kernel is always this interpreter: no kernelspec lookup in the user's home, no
NoSuchKernel, the same packages the build runs with."""

from __future__ import annotations

import sys

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


def reset_namespace(manager: KernelManager) -> None:
    """Clear the user namespace between notebooks so none depends on another's variables, while the
    imported modules stay loaded (the reason one kernel serves the whole build)."""
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        reply = client.execute_interactive("get_ipython().reset(new_session=False)", timeout=60)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"could not reset the kernel between notebooks: {reply['content']}")
    finally:
        client.stop_channels()
