"""A report in each format ``validate`` writes: console text, the JSON report, JUnit XML,
node-problem-detector's one line, Prometheus textfile metrics."""

from __future__ import annotations

import os
import sys
import time

from gpusetup.findings import Report

FORMATS = ("console", "json", "junit", "npd", "prometheus")


def report_as(report: Report, output_format: str, strict: bool) -> tuple[int, str]:
    """(exit code, text) of ``report`` in ``output_format`` (one of FORMATS): the doctor's
    exit code, except npd's, which is its plugin contract's (0 OK, 1 NonOK, 2 Unknown)."""
    code = report.exit_code(strict)
    if output_format == "console":
        import io

        from gpusetup.render.console import make_console, render_report

        buffer = io.StringIO()
        render_report(report, make_console(file=buffer))
        return code, buffer.getvalue()
    if output_format == "npd":
        from gpusetup.render.node_formats import npd_line

        code, line = npd_line(report, strict)
        return code, line + "\n"
    if output_format == "json":
        from gpusetup.render.json import report_json

        return code, report_json(report)
    if output_format == "junit":
        from gpusetup.render.junit import report_junit

        return code, report_junit(report, strict)
    from gpusetup.render.node_formats import prometheus_text

    return code, prometheus_text(report, time.time())


def npd_unknown(message: str) -> str:
    """Any error as npd's "Unknown" line (the plugin could not judge the node)."""
    from gpusetup.render.node_formats import NPD_MAX_MESSAGE, one_line_message

    return one_line_message(f"Unknown: {message}", NPD_MAX_MESSAGE)


def deliver(
    report: Report,
    strict: bool,
    output_format: str,
    output: str | os.PathLike[str] | None = None,
    junit: str | os.PathLike[str] | None = None,
    json_file: str | os.PathLike[str] | None = None,
) -> int:
    """Write ``report`` where ``validate`` was told to (the side files first, then the
    chosen format to ``output`` or the terminal), every file through the one writer; the
    exit code of the chosen format."""
    from gpusetup.render.output import write_output

    for path, side_format in ((junit, "junit"), (json_file, "json")):
        if path:
            write_output(path, report_as(report, side_format, strict)[1])
    if output_format == "console" and output is None:
        from gpusetup.render.console import make_console, render_report

        render_report(report, make_console())
        return report.exit_code(strict)
    code, text = report_as(report, output_format, strict)
    if output:
        write_output(output, text)
    else:
        sys.stdout.write(text)
    return code
