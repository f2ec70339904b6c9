"""`python -m pipeline.report.screenshot REPORT PNG`: the top of the report as a picture for the README, taken in
Debian's headless Chromium."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


def screenshot(report: Path, target: Path, width: int = 1280, height: int = 900) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("screenshot: no chromium on this machine (Debian: apt-get install chromium)")
    if not report.exists():
        raise SystemExit(f"screenshot: {report} does not exist (run make report first)")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
                        f"--screenshot={target.resolve()}", report.resolve().as_uri()],
                       check=True, capture_output=True, timeout=120)
    print(f"screenshot written to {target}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: python -m pipeline.screenshot REPORT.html OUTPUT.png")
    screenshot(Path(sys.argv[1]), Path(sys.argv[2]))
