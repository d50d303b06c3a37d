"""The sample's report in a real browser (headless Chromium), Hebrew and English: it renders without console
errors, every section is there, nothing scrolls sideways at 1280 px, the first screen (1280x800) holds the
manager's figures, and a screenshot of it is a picture, not a blank page."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from tests.conftest import SAMPLE
from tests.test_report import SECTIONS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
# what the manager must see without scrolling
FIRST_SCREEN = ("members", "reach-sms", "reach-email", "value", "effect", "actions")
WIDTH, HEIGHT = 1280, 800

# Measures the laid-out page and writes what it found into the DOM, for --dump-dom to carry out. Added to a copy
# of the page only: the report itself has no script.
PROBE = """<script>
addEventListener('load', () => {
  const box = e => e.getBoundingClientRect();
  const out = {
    scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth,
    innerHeight: innerHeight, dir: document.documentElement.dir,
    sections: [...document.querySelectorAll('section[id]')].map(e => e.id),
    figures: Object.fromEntries([...document.querySelectorAll('[data-figure]')].map(
      e => [e.dataset.figure, {top: box(e).top, bottom: box(e).bottom, text: e.innerText}])),
    svgOverflow: [...document.querySelectorAll('svg text')].filter(t => {
      const s = t.ownerSVGElement.getBoundingClientRect(), b = box(t);
      return b.width > 0 && (b.left < s.left - 1 || b.right > s.right + 1);
    }).map(t => t.textContent),
  };
  const pre = document.createElement('pre'); pre.id = 'probe'; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None and not os.environ.get("CLEANSE_REQUIRE_BROWSER"),
        reason="no Chromium installed (apt-get install -y chromium); .ci/run installs it and requires these tests",
    ),
]


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    assert CHROMIUM is not None, "CLEANSE_REQUIRE_BROWSER is set (CI) but Chromium is not installed"
    base = tmp_path_factory.mktemp("browser")
    runner = CliRunner()
    out = {}
    for lang in ("he", "en"):
        result = runner.invoke(app, ["run", str(SAMPLE), "--out", str(base / lang), "--quiet", "--lang", lang])
        assert result.exit_code == 0, result.output
        out[lang] = base / lang / "report.html"
    return out


def _chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={tmp / 'profile'}", f"--window-size={WIDTH},{HEIGHT}", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _probe(page: Path, tmp: Path) -> dict:
    probed = tmp / "probed.html"
    probed.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    done = _chromium(tmp, "--virtual-time-budget=5000", "--dump-dom", probed.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    start = done.stdout.index('<pre id="probe">') + len('<pre id="probe">')
    text = done.stdout[start : done.stdout.index("</pre>", start)]
    return json.loads(text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"'))


@pytest.mark.parametrize("lang", ["he", "en"])
def test_renders_without_console_errors(pages: dict[str, Path], lang: str, tmp_path: Path) -> None:
    done = _chromium(
        tmp_path, "--enable-logging=stderr", "--v=0", "--virtual-time-budget=3000", "--dump-dom", pages[lang].as_uri()
    )
    assert done.returncode == 0, done.stderr[-2000:]
    for section in SECTIONS:
        assert f'id="{section}"' in done.stdout, section
    console = [line for line in done.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not console, console


@pytest.mark.parametrize("lang", ["he", "en"])
def test_layout_at_1280_px(pages: dict[str, Path], lang: str, tmp_path: Path) -> None:
    probe = _probe(pages[lang], tmp_path)
    assert probe["dir"] == ("rtl" if lang == "he" else "ltr")
    assert probe["clientWidth"] == WIDTH and probe["scrollWidth"] <= probe["clientWidth"], probe["scrollWidth"]
    assert set(SECTIONS) <= set(probe["sections"])
    assert probe["svgOverflow"] == []  # every chart label inside its chart
    figures = probe["figures"]
    for figure in FIRST_SCREEN:
        assert figure in figures, figure
        assert figures[figure]["top"] >= 0 and figures[figure]["bottom"] <= probe["innerHeight"], (figure, figures)
    report = json.loads((pages[lang].parent / "report.json").read_text(encoding="utf-8"))
    assert f"{report['summary']['golden_records']:,}" in figures["members"]["text"]
    assert f"{report['overview']['reachable']['sms']:,}" in figures["reach-sms"]["text"]


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


@pytest.mark.parametrize("lang", ["he", "en"])
def test_screenshot_of_the_first_screen(pages: dict[str, Path], lang: str, tmp_path: Path) -> None:
    shot = tmp_path / f"report-{lang}.png"
    done = _chromium(tmp_path, f"--screenshot={shot}", pages[lang].as_uri())
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    assert _png_size(shot) == (WIDTH, HEIGHT)
    assert shot.stat().st_size > 40_000  # cards, a table, a list: a blank or unstyled page is a few KB
