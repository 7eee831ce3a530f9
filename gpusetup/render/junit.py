"""JUnit XML for CI test reporters (GitLab, Jenkins, GitHub): one testcase per finding.

A failure is <failure>, a skip <skipped>; a warning is a failure when the run is strict
and otherwise a passing testcase whose <system-out> carries the warning.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from gpusetup.findings import Report, Status
from gpusetup.render.text import printable


def _case_name(finding) -> str:
    return _xml(finding.id + (f" [{finding.subject}]" if finding.subject else ""))


def _xml(text: str, keep_newlines: bool = False) -> str:
    """Text from outside, escaped: XML 1.0 cannot carry ESC, NUL or most control codes."""
    return printable(text, keep_newlines)


def report_junit(report: Report, strict: bool) -> str:
    failing = {Status.FAIL, Status.WARN} if strict else {Status.FAIL}
    findings = report.findings
    failures = sum(1 for f in findings if f.status in failing)
    skipped = sum(1 for f in findings if f.status is Status.SKIP)
    host = report.facts.host.hostname if report.facts.host else ""
    suites = ET.Element(
        "testsuites",
        name="gpusetup",
        tests=str(len(findings)),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
    )
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"gpusetup.{report.profile}",
        tests=str(len(findings)),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
        hostname=_xml(host),
        timestamp=_xml(report.facts.collected_at),
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("profile", report.profile),
        ("gpusetup", report.tool.get("version", "")),
        ("strict", str(strict).lower()),
    ):
        ET.SubElement(props, "property", name=name, value=_xml(value))
    for f in findings:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"gpusetup.{f.id.split('.')[0]}",
            name=_case_name(f),
            time="0",
        )
        body = _xml("\n".join(p for p in (f.detail, f"Fix: {f.fix}" if f.fix else "") if p), True)
        if f.status in failing:
            failure = ET.SubElement(case, "failure", message=_xml(f.title), type=f.status.value)
            failure.text = body
        elif f.status is Status.SKIP:
            ET.SubElement(case, "skipped", message=_xml(f.detail or f.title, True))
        elif f.status is Status.WARN:
            out = ET.SubElement(case, "system-out")
            out.text = f"WARN: {_xml(f.title)}\n{body}"
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )
