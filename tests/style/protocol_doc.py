#!/usr/bin/env python3
"""docs/protocol.md against the code it describes.

Checks that
- the error code table (section "Error codes") is the `errc` enum of
  schemas/error.hpp: every number, name and meaning, in order, and that
  schemas/error.cpp names the values in the same order;
- the message kind table (section 3) is `message_kind` of transports/zmq/envelope.hpp;
- every ```python and ```toml block of the worked example (section 11) is in
  tests/transports/zmq/python_client.py, token for token (layout aside), so
  that the example is what the test runs.

Usage: protocol_doc.py SOURCE_ROOT            check (exit 1 on a difference)
       protocol_doc.py SOURCE_ROOT --errc-table print the error code table
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
doc_path = root / "docs" / "protocol.md"
doc = doc_path.read_text()


def errc_enum():
    """[(number, name, meaning)] from the enum in schemas/error.hpp."""
    text = (root / "schemas" / "error.hpp").read_text()
    body = re.search(r"enum class errc : uint8_t \{(.*?)\n\};", text, re.S).group(1)
    values = []
    for line in body.splitlines():
        m = re.match(r"\s*([a-z_0-9]+)\s*(?:=\s*(\d+))?\s*,\s*(?:///<\s*(.*))?$", line)
        if not m:
            continue
        number = int(m.group(2)) if m.group(2) else len(values)
        if number != len(values):
            raise SystemExit(f"schemas/error.hpp: {m.group(1)} = {number} leaves a gap")
        meaning = m.group(3) or ("no error" if m.group(1) == "none" else "")
        values.append((number, m.group(1), meaning.strip()))
    return values


def errc_names_in_cpp():
    text = (root / "schemas" / "error.cpp").read_text()
    table = re.search(r"errc_texts\{\{(.*?)\}\};", text, re.S).group(1)
    return re.findall(r'\{"([a-z_0-9]+)",', table)


def errc_table(values):
    rows = ["| number | name | meaning |", "| --- | --- | --- |"]
    rows += [f"| {n} | `{name}` | {meaning} |" for n, name, meaning in values]
    return "\n".join(rows)


def section(title_regex):
    """The text of the doc section whose heading matches, up to the next
    heading of its level or above (lines in fenced code are not headings)."""
    lines = doc.splitlines(keepends=True)
    fenced = False
    start = level = None
    for i, line in enumerate(lines):
        if line.startswith("```"):
            fenced = not fenced
            continue
        heading = None if fenced else re.match(r"(#+) (.*)$", line)
        if not heading:
            continue
        if start is None:
            if re.match(title_regex, heading.group(2)):
                start, level = i + 1, len(heading.group(1))
        elif len(heading.group(1)) <= level:
            return "".join(lines[start:i])
    return None if start is None else "".join(lines[start:])


def squeezed(text):
    return re.sub(r"\s+", "", text)


if len(sys.argv) > 2 and sys.argv[2] == "--errc-table":
    print(errc_table(errc_enum()))
    sys.exit(0)

failures = []
checks = 0


def check(what, condition, detail=""):
    global checks
    checks += 1
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)
        if detail:
            print(detail)


values = errc_enum()
check("schemas/error.cpp names the errc values in enum order",
      errc_names_in_cpp() == [name for _, name, _ in values],
      f"  enum: {[n for _, n, _ in values]}\n  cpp:  {errc_names_in_cpp()}")

codes = section(r"7\.1 Error codes")
documented = re.findall(r"^\| (\d+) \| `([a-z_0-9]+)` \| (.*?) \|$", codes or "", re.M)
documented = [(int(n), name, meaning) for n, name, meaning in documented]
wanted = errc_table(values)
check("the error code table of docs/protocol.md is the errc enum (number, name, meaning)",
      documented == values,
      "  regenerate it with: python3 tests/style/protocol_doc.py . --errc-table\n" + "\n".join(
          f"  doc {d} / enum {e}" for d, e in zip(documented + [None] * len(values),
                                                  values + [None] * len(documented))
          if d != e))

envelope = (root / "transports" / "zmq" / "envelope.hpp").read_text()
kinds = re.search(r"enum class message_kind : uint8_t \{([^}]*)\}", envelope).group(1)
kinds = [k.strip() for k in kinds.split(",") if k.strip()]
header = section(r"3\. The header frame") or ""
doc_kinds = re.findall(r"^\| (\d+) \| ([a-z]+) \| ", header, re.M)
check("the message kind table is message_kind of transports/zmq/envelope.hpp",
      [(int(n), k) for n, k in doc_kinds] == list(enumerate(kinds)),
      f"  doc {doc_kinds}\n  code {kinds}")

example = section(r"11\. A worked example")
client = squeezed((root / "tests" / "transports" / "zmq" / "python_client.py").read_text())
blocks = re.findall(r"```(python|toml)\n(.*?)```", example or "", re.S)
check("the worked example has Python and TOML blocks", len(blocks) >= 2)
for i, (language, text) in enumerate(blocks, 1):
    check(f"worked example block {i} ({language}) is in tests/transports/zmq/python_client.py",
          squeezed(text) in client, text)

print(f"{checks - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
