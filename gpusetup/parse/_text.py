"""Pasted text made readable: line numbers kept, CRLF, markdown quote prefixes, code fences,
bold markers, inline code backticks around a whole line and HTML code tags taken off,
shell prompts recognised, the lines where a poster left part of an output out (``...``)
recognised.

Every reader starts here, so each is robust on its own; ``detect`` prepares a whole paste
once and hands each reader its block's lines.
"""

from __future__ import annotations

import re

from gpusetup.serde import record

#: Readers look at most this many characters of a line: every pattern then costs a bounded
#: time per line, so a paste is read in time linear in its size.
MAX_LINE = 64 * 1024


@record
class Line:
    number: int  # 1-based, in the pasted text
    text: str  # cleaned: no CR, no quote prefix, no fence, no bold markers
    long: bool = False  # the line was longer than MAX_LINE and is cut


# "> " quote prefixes (possibly nested); not Python's ">>> " prompt.
_QUOTE = re.compile(r"^[ ]{0,3}(?:>(?!>>(?: |$))[ ]?)+")
_FENCE = re.compile(r"^\s*(?:```+|~~~+)")
_HTML = re.compile(r"^\s*<(?:pre|code)[^>]*>|</(?:pre|code)>\s*$", re.IGNORECASE)
# Terminal colour sequences (a log captured from a console), then C0 controls other than
# tab: pasted noise, never part of an output.
_ANSI = re.compile(r"\x1b\[[0-9;?]{0,32}[A-Za-z]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# A line wrapped in one inline code span (`GeForce GTX 750, 00000000:01:00.0`).
_INLINE_CODE = re.compile(r"^\s*`(?P<code>[^`]+)`\s*$")
# A command in an inline code span at the start of a prose line (`nvidia-smi -L` gives:).
_LEADING_CODE = re.compile(r"^\s*`(?P<code>[^`]+)`")
# A line that stands for lines the poster left out: ..., …, [...], (...), [snip].
_ELISION = re.compile(r"^\s*(?:[\[(<]\s*)?(?:\.{3,}|…|\. \. \.|snip)(?:\s*[\])>])?\s*$", re.I)


def clean_line(raw: str) -> str:
    text = _CONTROL.sub("", _ANSI.sub("", raw))
    text = _QUOTE.sub("", text, count=1)
    fence = _FENCE.match(text)
    if fence:
        rest = text[fence.end() :]
        # "```bash" opens a fence; "```[P2P (Peer-to-Peer)..." is a fence glued to output
        text = "" if re.fullmatch(r"[\w+.-]*\s*", rest) else rest
    stripped = text.rstrip()
    if stripped.endswith(("```", "~~~")):  # a fence closed at the end of an output line
        text = stripped.rstrip("`~")
    text = _HTML.sub("", text)
    code = _INLINE_CODE.match(text)
    if code:
        text = code["code"]
    stripped = text.strip()
    if stripped.startswith("**"):
        text = text.replace("**", "", 1)
        if text.rstrip().endswith("**"):
            text = text.rstrip()[:-2]
    return text.rstrip("\n")


def prepare(text: str, first_line: int = 1) -> list[Line]:
    """The lines of ``text``, cleaned, numbered from ``first_line``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = []
    for offset, raw in enumerate(text.split("\n")):
        long = len(raw) > MAX_LINE
        lines.append(Line(first_line + offset, clean_line(raw[:MAX_LINE]), long))
    if lines and not lines[-1].text.strip() and text.endswith("\n"):
        lines.pop()  # the newline that ends the last line is not a line of its own
    return lines


# --- shell prompts and command lines -----------------------------------------------------

_COMMANDS = (
    r"nvidia-smi(?:\.exe)?|nvcc(?:\.exe)?|ldconfig(?:\.real)?|ls|ll|lspci|cat|grep|head|"
    r"python[\d.]*|py|ipython|deviceQuery(?:\.exe)?|p2pBandwidthLatencyTest(?:\.exe)?|"
    r"simpleP2P(?:\.exe)?|export|set|sudo|docker|nvidia-docker|podman|pip3?|conda|find|"
    r"locate|readlink|dpkg|rpm|apt|modinfo|dmesg|journalctl|echo"
)
_PROMPTS = [
    # user@host:~/dir$ cmd, (env) user@host dir $ cmd, root@truenas[/]# cmd
    re.compile(r"^(?:\([^)]*\)\s*)*[\w.-]+@[\w.-]+[^$#>\n]{0,200}?[$#%]\s*(?P<cmd>.*)$"),
    # [user@host dir]$ cmd, [gpu6000 ~]# cmd, [pancho@fedora]~$ cmd
    re.compile(r"^(?:\([^)]*\)\s*)*\[[^\]]{1,200}\][^$#\n]{0,100}?[$#]\s*(?P<cmd>.*)$"),
    # $ cmd, # cmd, % cmd, ~$ cmd, ~/dir$ cmd
    re.compile(r"^\s*(?:~[^\s$#]*\s*)?[$#%]\s*(?P<cmd>.*)$"),
    # PowerShell and cmd.exe
    re.compile(r"^\s*(?:PS\s+)?[A-Za-z]:\\[^>\n]{0,300}>\s*(?P<cmd>.*)$"),
    # Python's REPL
    re.compile(r"^\s*>>>\s?(?P<cmd>.*)$"),
    # zsh/oh-my-zsh themes: "➜  ~ cmd", "╰─○ cmd", "❯ cmd"
    re.compile(r"^\s*[^\x00-\x7f]{1,8}[^\x00-\x7f\s]{0,8}\s+(?:~\S*\s+)?(?P<cmd>.*)$"),
]
# A command pasted without its prompt: the command word, then arguments (not "nvcc: NVIDIA",
# "ldconfig: warning", "deviceQuery Starting...", "deviceQuery, CUDA Driver = ...").
_BARE = re.compile(
    r"^\s*(?=\S)(?:(?:sudo|time|env)\s+)?\"?(?:[A-Za-z]:)?(?:[\w .~()-]*[/\\])*(?P<word>"
    + _COMMANDS
    + r")\"?"
    r"(?:\s+(?!Starting)\S.*)?\s*$"
)


def command_of(text: str) -> str | None:
    """The command a prompt line runs (``user@host:~$ nvidia-smi -L`` -> ``nvidia-smi -L``),
    or a command pasted on its own line; None for any other line."""
    for pattern in _PROMPTS:
        match = pattern.match(text)
        if match:
            cmd = match["cmd"].strip()
            if _BARE.match(cmd) or cmd.startswith(("./", ".\\")):
                return cmd
            if pattern is _PROMPTS[4]:  # a REPL line is a command whatever it says
                return cmd
    match = _BARE.match(text)
    if match and ":" not in text.split(match["word"], 1)[1][:1]:
        return text.strip().strip('"')
    code = _LEADING_CODE.match(text)
    if code and code.end() < len(text.rstrip()):  # a whole-line span was taken off already
        return command_of(code["code"])
    return None


def is_blank(line: Line) -> bool:
    return not line.text.strip()


def is_elision(line: Line) -> bool:
    """Whether a line stands for lines the poster left out (``...``, ``[...]``, ``…``)."""
    return bool(_ELISION.match(line.text))
