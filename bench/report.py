"""The bench's output: the machine it ran on and one Markdown table per benchmark, printed
as each one finishes and written to bench/results.md at the end."""

import os
import platform
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

    def write(self) -> Path:
        self.sections[0].rows.append(["load average at end (1, 5, 15 min)", _load()])
        text = "# Benchmark results (`make bench`)\n\n" + "\n".join(
            section.markdown() for section in self.sections
        )
        RESULTS.write_text(text)
        return RESULTS
