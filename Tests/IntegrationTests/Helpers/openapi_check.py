#!/usr/bin/python3
"""Checks a running swiveld against Docs/openapi.yaml.
  openapi_check.py SOCKET SPEC REQUESTS
REQUESTS is a JSON list of [method, path, body-or-null]. Every request is sent over the Unix socket; its
status must be one the spec documents for that operation, and a JSON answer must match the documented
schema (types, required properties, enums, items, $refs). The spec itself must be well formed (every
$ref resolves, every operation documents responses), and every operation in it must have been exercised.
Prints "ok N requests, M operations" or one line per problem."""
import http.client, json, re, socket, sys, yaml

class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=10)
        self.path = path
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(self.path)

sock, spec_path, requests_path = sys.argv[1:4]
spec = yaml.safe_load(open(spec_path))
problems = []

def resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        target = spec
        for part in ref.lstrip("#/").split("/"):
            if part not in target:
                problems.append(f"spec: unresolved {ref}")
                return {}
            target = target[part]
        node = target
    return node

def walk_refs(node, where):
    if isinstance(node, dict):
        if "$ref" in node:
            resolve(node)
        for k, v in node.items():
            walk_refs(v, f"{where}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk_refs(v, f"{where}[{i}]")

if not str(spec.get("openapi", "")).startswith("3."):
    problems.append("spec: not an OpenAPI 3 document")
walk_refs(spec, "")
operations = {}
for path, item in spec["paths"].items():
    pattern = "^" + re.sub(r"\{[^}]+\}", "[^/?]+", path) + "$"
    for method, op in item.items():
        if method == "parameters":
            continue
        if not op.get("responses"):
            problems.append(f"spec: {method.upper()} {path} documents no responses")
        operations[(method.upper(), path)] = (re.compile(pattern), op)

def check(value, schema, where):
    schema = resolve(schema)
    t = schema.get("type")
    types = {"object": dict, "array": list, "string": str, "boolean": bool}
    if t in types and not isinstance(value, types[t]):
        problems.append(f"{where}: expected {t}, got {type(value).__name__}")
        return
    if t == "integer" and (not isinstance(value, int) or isinstance(value, bool)):
        problems.append(f"{where}: expected integer, got {value!r}")
    if t == "number" and not isinstance(value, (int, float)):
        problems.append(f"{where}: expected number, got {value!r}")
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} not in {schema['enum']}")
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                problems.append(f"{where}: missing required '{key}'")
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                check(value[key], sub, f"{where}.{key}")
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key, v in value.items():
                check(v, extra, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            check(v, schema["items"], f"{where}[{i}]")

exercised = set()
requests = json.load(open(requests_path))
for method, path, body in requests:
    bare = path.split("?")[0]
    match = [(key, op) for key, (rx, op) in operations.items() if key[0] == method and rx.match(bare)]
    if not match:
        problems.append(f"{method} {path}: not in the spec")
        continue
    key, op = match[0]
    exercised.add(key)
    conn = UnixHTTP(sock)
    payload = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if payload else {}
    conn.request(method, path, body=payload, headers=headers)
    response = conn.getresponse()
    data = response.read()
    documented = op["responses"]
    status = str(response.status)
    if status not in documented:
        problems.append(f"{method} {path}: status {status} not documented ({', '.join(documented)}): {data[:200]!r}")
        continue
    content = resolve(documented[status]).get("content", {})
    if "application/json" in content:
        try:
            check(json.loads(data), content["application/json"].get("schema", {}), f"{method} {path} {status}")
        except ValueError:
            problems.append(f"{method} {path}: answer is not JSON: {data[:200]!r}")
for key in sorted(set(operations) - exercised):
    problems.append(f"{key[0]} {key[1]}: in the spec but not exercised")
for p in problems:
    print(p)
if not problems:
    print(f"ok {len(requests)} requests, {len(operations)} operations")
