#!/usr/bin/env python3
"""Every C++ snippet of docs/actors.md is code of examples/experiment, which CI
builds: each ```cpp block must appear in one of the example's files, token for
token (layout aside: clang-format may wrap the file's lines differently). A
snippet that parts from the code fails here."""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
doc = (root / "docs" / "actors.md").read_text()


def squeezed(text):
    return re.sub(r"\s+", "", text)


sources = {p.name: squeezed(p.read_text())
           for p in (root / "examples" / "experiment").glob("*.[ch]pp")}

blocks = re.findall(r"```cpp\n(.*?)```", doc, re.S)
bad = 0
for i, text in enumerate(blocks, 1):
    if not any(squeezed(text) in code for code in sources.values()):
        bad += 1
        print(f"docs/actors.md: C++ snippet {i} is not in examples/experiment:\n{text}")
print(f"{len(blocks) - bad} passed, {bad} failed")
sys.exit(1 if bad or not blocks else 0)
