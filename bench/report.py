"""The bench's output: the machine it ran on and one Markdown table per benchmark, printed
as each one finishes and written to bench/results.md at the end. A run of some benchmarks
(`--only`) keeps the others' sections of the file, each marked with the date of its run."""

import os
import platform
import re
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from bench import pgadmin

RESULTS = Path(__file__).with_name("results.md")


@dataclass
class Section:
    title: str
    header: list[str] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        lines = [f"## {self.title}", ""]
        if self.header:
            lines.append("| " + " | ".join(self.header) + " |")
            lines.append("|" + "|".join(" --- " for _ in self.header) + "|")
            lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in self.rows]
            lines.append("")
        lines += [f"- {note}" for note in self.notes]
        return "\n".join(lines).rstrip() + "\n"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        with open("/proc/meminfo") as info:
            kilobytes = int(info.readline().split()[1])
        return f"{kilobytes / 1024**2:.1f} GiB"
    except (OSError, ValueError, IndexError):
        return "unknown"


def _load() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def machine(mode: str) -> Section:
    postgres = pgadmin.server_version().split(" on ")[0]
    return Section(
        title="Machine",
        header=["what", "value"],
        rows=[
            ["date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")],
            ["mode", mode],
            ["CPU", _cpu_model()],
            ["cores", os.cpu_count()],
            ["RAM", _memory()],
            ["PostgreSQL", postgres],
            ["Python", sys.version.split()[0]],
            ["Django", version("Django")],
            ["load average at start (1, 5, 15 min)", _load()],
        ],
    )


class Report:
    def __init__(self, mode: str):
        self.sections = [machine(mode)]
        self.show(self.sections[0])

    def add(self, section: Section) -> None:
        self.sections.append(section)
        self.show(section)

    def show(self, section: Section) -> None:
        print("\n" + section.markdown(), flush=True)

    def write(self, *, keep_others: bool = False) -> Path:
        """Write results.md; with `keep_others`, the sections of the file this run did not
        produce stay, after this run's."""
        self.sections[0].rows.append(["load average at end (1, 5, 15 min)", _load()])
        parts = [section.markdown() for section in self.sections]
        if keep_others and RESULTS.exists():
            parts += kept_sections(RESULTS.read_text(), ran={s.title for s in self.sections})
        RESULTS.write_text("# Benchmark results (`make bench`)\n\n" + "\n".join(parts))
        return RESULTS


RUN_DATE = re.compile(r"^\| date \| (.+?) \|$", re.MULTILINE)


def kept_sections(text: str, *, ran: set[str]) -> list[str]:
    """The sections of an earlier results.md not in `ran` (the machine's is always this
    run's), each saying which run it is from."""
    date = RUN_DATE.search(text)
    chunks = re.split(r"^(?=## )", text, flags=re.MULTILINE)[1:]
    kept = []
    for chunk in chunks:
        title = chunk.splitlines()[0][3:].strip()
        if title == "Machine" or title in ran:
            continue
        chunk = chunk.rstrip() + "\n"
        if "_From the run of " not in chunk and date:
            chunk += f"\n_From the run of {date.group(1)}._\n"
        kept.append(chunk)
    return kept
