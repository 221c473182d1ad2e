"""nn.fit's progress report as a user sees it: bars on a terminal (captured through a
pseudo-terminal), one line per epoch in a file."""

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("tqdm")

ROOT = Path(__file__).resolve().parents[2]
EPOCHS, BATCHES = 2, 4

SCRIPT = textwrap.dedent(f"""
    import numpy as np
    import autograd_engine as ag
    import nn
    ag.manual_seed(0)
    X = np.random.default_rng(0).normal(size=({BATCHES * 8}, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    model = nn.Linear(3, 2)
    nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=0.1),
           nn.data.DataLoader(X, y, batch_size=8), epochs={EPOCHS}, metrics=["accuracy"])
    print("done", flush=True)
""")


def _env():
    # Every tqdm update draws (no 0.1 s rate limit), so the test sees every frame it would draw.
    return {**os.environ, "TQDM_MININTERVAL": "0", "PYTHONPATH": str(ROOT)}


def test_bars_on_a_terminal_advance_per_batch_with_one_draw_each():
    leader, follower = pty.openpty()
    # A terminal of 24 rows by 120 columns (a fresh pty has size 0x0, where tqdm draws nothing).
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT], cwd=ROOT, env=_env(),
                            stdin=subprocess.DEVNULL, stdout=follower, stderr=follower)
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(leader)
    assert proc.wait(timeout=120) == 0
    text = out.decode(errors="replace")
    assert "done" in text
    for epoch in range(1, EPOCHS + 1):
        frames = re.findall(rf"epoch {epoch}/{EPOCHS}:[^\r\n\x1b]*", text)
        counts = [int(m) for m in re.findall(rf"(\d+)/{BATCHES} \[", "\n".join(frames))]
        # The batch bar advances once per batch: 0/4 when it opens, then 1/4 ... 4/4 ...
        assert counts[0] == 0 and sorted(set(counts)) == list(range(BATCHES + 1)), frames
        # ... with the running loss in the same frame as the advance (no frame of its own, which
        # would show a stale count): one frame per batch, plus the opening one.
        assert counts == list(range(BATCHES + 1)), frames
        assert all("loss=" in f for f in frames[1:]), frames
    assert re.search(rf"fit: 100%.*{EPOCHS}/{EPOCHS}.*accuracy=", text), text


def test_one_line_per_epoch_when_output_is_a_file(tmp_path):
    log = tmp_path / "log.txt"
    with open(log, "w") as f:
        proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=_env(),
                              stdout=f, stderr=subprocess.STDOUT, timeout=120)
    assert proc.returncode == 0
    text = log.read_text()
    assert "\r" not in text and "\x1b" not in text
    lines = text.splitlines()
    assert lines[-1] == "done"
    assert len(lines) == EPOCHS + 1, lines
    for epoch, line in enumerate(lines[:-1], 1):
        assert re.fullmatch(rf"epoch {epoch}/{EPOCHS}: loss \d\.\d{{4}}, accuracy \d\.\d{{4}} "
                            r"\(\d+\.\d s\)", line), line


def test_no_output_with_progress_off_and_in_captured_runs(capsys):
    import numpy as np

    import nn

    X, y = np.zeros((8, 2), np.float32), np.zeros(8, np.int64)
    model = nn.Linear(2, 2)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    nn.fit(model, nn.CrossEntropyLoss(), opt, nn.data.DataLoader(X, y, batch_size=4), epochs=2,
           progress=False)
    assert capsys.readouterr().err == ""
    nn.fit(model, nn.CrossEntropyLoss(), opt, nn.data.DataLoader(X, y, batch_size=4), epochs=2)
    err = capsys.readouterr().err  # pytest's capture is not a terminal: one line per epoch
    assert [line.split(":")[0] for line in err.splitlines()] == ["epoch 1/2", "epoch 2/2"]
