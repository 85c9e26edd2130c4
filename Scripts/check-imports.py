#!/usr/bin/env python3
"""Checks the package's layering: the import rules table in Docs/architecture.md ("## Import rules") says
what each target may import; this compares it with Package.swift and with the sources.

For every target under Sources/:
  - each module a source file imports is allowed by the rules;
  - each module it imports (other than the toolchain's: Foundation, Glibc, Dispatch, Synchronization) is a
    declared dependency in Package.swift, not one that only arrives through another target;
  - each declared dependency is allowed by the rules and imported by some file (no dead dependency).
Exit 1 with one line per problem.
"""
import os, re, sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
TOOLCHAIN = {"Foundation", "Glibc", "Dispatch", "Synchronization"}


def rules():
    text = open(os.path.join(ROOT, "Docs", "architecture.md")).read()
    section = text.split("## Import rules", 1)[1].split("\n## ", 1)[0]
    table = {}
    for line in section.splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or cells[0] in ("target", "") or set(cells[0]) <= set("- "):
            continue
        table[cells[0]] = {m.strip().strip("`") for m in cells[1].split(",") if m.strip() not in ("", "—", "-")}
    return table


def declared():
    text = open(os.path.join(ROOT, "Package.swift")).read()
    deps = {}
    for m in re.finditer(r'\.(?:target|executableTarget)\(name: "([^"]+)"', text):
        name, rest = m.group(1), text[m.end():]
        body = rest.split(".target(", 1)[0].split(".executableTarget(", 1)[0].split(".testTarget(", 1)[0]
        d = re.search(r'dependencies:\s*\[', body)
        found = set()
        if d:
            depth, i = 1, d.end()
            while depth and i < len(body):
                depth += {"[": 1, "]": -1}.get(body[i], 0)
                i += 1
            inner = body[d.end():i - 1]
            found |= set(re.findall(r'\.product\(name:\s*"([^"]+)"', inner))
            inner = re.sub(r'\.product\([^)]*\)', "", inner)
            found |= set(re.findall(r'"([^"]+)"', inner))
        deps[name] = found
    return deps


def imports(target):
    out = set()
    for base, _, files in os.walk(os.path.join(ROOT, "Sources", target)):
        for f in files:
            if f.endswith(".swift"):
                for line in open(os.path.join(base, f)):
                    m = re.match(r'^\s*(?:@_?\w+(?:\([^)]*\))?\s+)*import\s+(?:(?:struct|class|enum|func|var|let)\s+)?([A-Za-z_][A-Za-z_0-9]*)', line)
                    if m:
                        out.add(m.group(1))
    return out


def main():
    allowed, deps, problems = rules(), declared(), []
    for target in sorted(os.listdir(os.path.join(ROOT, "Sources"))):
        if not os.path.isdir(os.path.join(ROOT, "Sources", target)) or target.startswith("C"):
            continue
        if target not in allowed:
            problems.append(f"{target}: no row in the import rules of Docs/architecture.md")
            continue
        used, declared_here = imports(target), deps.get(target, set())
        for m in sorted(used - allowed[target]):
            problems.append(f"{target}: imports {m}, which the rules do not allow")
        for m in sorted(used - TOOLCHAIN - declared_here):
            problems.append(f"{target}: imports {m} without declaring it in Package.swift")
        for m in sorted(declared_here - allowed[target]):
            problems.append(f"{target}: Package.swift declares {m}, which the rules do not allow")
        for m in sorted(declared_here - used):
            problems.append(f"{target}: Package.swift declares {m}, which no file imports")
    for p in problems:
        print(p)
    print(f"import rules: {len(allowed)} targets, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
