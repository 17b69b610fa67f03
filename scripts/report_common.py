"""What the reports of guest runs (bench-report.py, compare-report.py) share:
reading a boot's result channel and runner record, and rewriting the
generated block of a document."""
import argparse
import json
import sys
from pathlib import Path

# The judge's reader of the runner's boot record (vm.txt).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "vm"))
from summarize import read_vm_record  # noqa: E402


def report_parser():
    """The arguments every report takes: the boot's log folder, the JSON to
    write and the document whose generated block to rewrite."""
    ap = argparse.ArgumentParser()
    ap.add_argument("logdir", type=Path)
    ap.add_argument("--json", type=Path, required=True)
    ap.add_argument("--doc", type=Path)
    return ap


def guest_lines(logdir, tag):
    """The 'TAG {json}' rows of one boot's result channel (LOGDIR/results.txt)."""
    results = (Path(logdir) / "results.txt").read_text(errors="replace").replace("\r", "")
    rows = []
    for line in results.splitlines():
        if line.startswith(tag + " {"):
            try:
                rows.append(json.loads(line[len(tag) + 1:]))
            except json.JSONDecodeError:
                print(f"{tag.lower()}-report: unreadable line: {line[:120]}", file=sys.stderr)
    return rows


def guest_run(logdir):
    """The last boot the runner recorded (accelerator, CPUs, outcome) and
    the release the guest said it ran."""
    boots = read_vm_record(Path(logdir))
    release = ""
    console = Path(logdir) / "console.log"
    if console.exists():
        for line in console.read_text(errors="replace").splitlines():
            if line.startswith("[guest] up: Linux "):
                release = line[len("[guest] up: Linux "):].split(",")[0].strip()
    return (boots[-1] if boots else {}), release


def replace_block(doc, begin, end, lines, heading):
    """Put LINES (which start with BEGIN and end with END) in place of the
    generated block of DOC, or append them under HEADING if it has none."""
    doc = Path(doc)
    text = doc.read_text() if doc.exists() else ""
    if begin in text and end in text:
        text = text[:text.index(begin)] + "\n".join(lines) + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + f"\n\n{heading}\n\n" + "\n".join(lines) + "\n"
    doc.write_text(text)
