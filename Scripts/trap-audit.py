#!/usr/bin/env python3
"""Lists every place in the library and executable targets where Swift traps at run time on a bad value,
and checks each against Scripts/trap-allowlist.tsv, where every group of such places carries a one-line
reason why input (a frame, a datagram, a request, a file) cannot reach it unchecked.

Sites: `try!`, `as!`, postfix `!` (force unwrap), `fatalError(`, `precondition(`, `preconditionFailure(`,
and integer conversions `Int(`, `UInt8(` ... `UInt64(` without `exactly:`, `clamping:`,
`truncatingIfNeeded:` or `bitPattern:` (a conversion traps when the value does not fit). Not sites: the
same words in comments and string literals; labelled initialisers that do not convert (`bigEndian:`,
`littleEndian:`, `radix:`, which is a failable parse); conversions of a literal or of a `Type.constant`
(nothing at run time can make those overflow).

The allowlist groups sites by file and kind, with their number: `PATH<TAB>KIND<TAB>COUNT<TAB>REASON`.
A site without an entry, a count that changed, or an entry that matches nothing fails the audit: a new
trap is looked at (and its reason written down, or the conversion made checked) before it lands.

  Scripts/trap-audit.py            check (exit 1 on any difference)
  Scripts/trap-audit.py --list     every site, one per line (file:line: kind: code)
  Scripts/trap-audit.py --counts   the groups with their counts, in the allowlist's format (reasons left empty)
"""
import os, re, sys
from collections import Counter, defaultdict

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
ALLOWLIST = os.path.join(ROOT, "Scripts", "trap-allowlist.tsv")


def strip(code):
    """Comments and string-literal contents replaced by spaces; line structure kept."""
    out, i, n = [], 0, len(code)
    while i < n:
        if code.startswith("//", i):
            j = code.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i)); i = j
        elif code.startswith("/*", i):
            j = code.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", code[i:j])); i = j
        elif code.startswith('"""', i):
            j = code.find('"""', i + 3)
            j = n if j < 0 else j + 3
            out.append('"' + re.sub(r"[^\n]", " ", code[i + 1:j - 1]) + '"'); i = j
        elif code[i] == '"':
            # Text is blanked; interpolations (backslash, parenthesis) are code and stay.
            out.append('"')
            j = i + 1
            while j < n and code[j] != '"' and code[j] != "\n":
                if code.startswith("\\(", j):
                    depth, k = 1, j + 2
                    while k < n and depth:
                        depth += {"(": 1, ")": -1}.get(code[k], 0)
                        k += 1
                    out.append("  " + code[j + 2:k - 1] + " ")
                    j = k
                elif code[j] == "\\":
                    out.append("  "); j += 2
                else:
                    out.append(" "); j += 1
            if j < n and code[j] == '"':
                out.append('"'); j += 1
            i = j
        else:
            out.append(code[i]); i += 1
    return "".join(out)


CONVERSION = re.compile(r"(?<![\w.])(U?Int(?:8|16|32|64)?)\(")
SAFE_LABELS = ("exactly:", "clamping:", "truncatingIfNeeded:", "bitPattern:", "bigEndian:", "littleEndian:")
CONSTANT = re.compile(r"^\s*(-?(0x[0-9a-fA-F_]+|[0-9_]+)|[A-Z]\w*(\.[a-zA-Z_]\w*)+)\s*$")


def argument(text, start):
    depth, j = 1, start
    while j < len(text) and depth:
        depth += {"(": 1, ")": -1}.get(text[j], 0)
        j += 1
    return text[start:j - 1]


def sites(path):
    with open(path, encoding="utf-8") as f:
        original = f.read()
    code = strip(original)
    lines = original.split("\n")
    line_of = lambda pos: code.count("\n", 0, pos)
    found = []
    for m in re.finditer(r"\btry!|\bas!|\bfatalError\(|\bpreconditionFailure\(|\bprecondition\(", code):
        kind = m.group(0).rstrip("(")
        found.append((line_of(m.start()), kind))
    for m in re.finditer(r"(?<=[\w)\]}>?])!(?!=)", code):
        before = code[max(0, m.start() - 3):m.start()]
        if before.endswith("try") or before.endswith(" as"):
            continue   # counted above
        found.append((line_of(m.start()), "force-unwrap"))
    for m in CONVERSION.finditer(code):
        arg = argument(code, m.end())
        if arg.lstrip().startswith(SAFE_LABELS) or ", radix:" in arg or CONSTANT.match(arg):
            continue
        found.append((line_of(m.start()), m.group(1) + "("))
    return [(ln + 1, kind, lines[ln].strip()) for ln, kind in found]


def all_sites():
    out = []
    for base in ("Sources",):
        for d, _, files in os.walk(os.path.join(ROOT, base)):
            for name in sorted(files):
                if name.endswith(".swift"):
                    p = os.path.join(d, name)
                    rel = os.path.relpath(p, ROOT)
                    out += [(rel, ln, kind, text) for ln, kind, text in sites(p)]
    return sorted(out)


def main():
    found = all_sites()
    if "--list" in sys.argv:
        for rel, ln, kind, text in found:
            print(f"{rel}:{ln}: {kind}: {text}")
        return 0
    counts = Counter((rel, kind) for rel, _, kind, _ in found)
    if "--counts" in sys.argv:
        for (rel, kind), n in sorted(counts.items()):
            print(f"{rel}\t{kind}\t{n}\t")
        return 0
    allowed, problems = {}, []
    with open(ALLOWLIST, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 4 or not parts[3].strip() or not parts[2].isdigit():
                problems.append(f"trap-allowlist.tsv:{number}: expected PATH<TAB>KIND<TAB>COUNT<TAB>REASON")
                continue
            allowed[(parts[0], parts[1])] = int(parts[2])
    where = defaultdict(list)
    for rel, ln, kind, text in found:
        where[(rel, kind)].append(f"    {rel}:{ln}: {text}")
    for key, n in sorted(counts.items()):
        if key not in allowed:
            problems.append(f"{key[0]}: {n} new `{key[1]}` site(s) with no reason in the allowlist:\n" + "\n".join(where[key]))
        elif allowed[key] != n:
            problems.append(f"{key[0]}: `{key[1]}` sites changed from {allowed[key]} to {n}; look at them and update the count (or the code):\n" + "\n".join(where[key]))
    for key in sorted(set(allowed) - set(counts)):
        problems.append(f"{key[0]}: the allowlist names `{key[1]}` sites that no longer exist; remove the entry")
    total = sum(counts.values())
    if problems:
        print("\n".join(problems))
        print(f"trap audit: {len(problems)} problem(s); {total} sites in {len(counts)} groups")
        return 1
    print(f"trap audit: {total} sites in {len(counts)} groups, each with a reason in Scripts/trap-allowlist.tsv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
