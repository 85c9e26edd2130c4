#!/usr/bin/python3
"""cni_schema.py SCHEMA RESULT: validates a CNI result (JSON file) with python3-jsonschema; prints "ok" or the errors."""
import json, sys
import jsonschema
schema, result = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(result), key=lambda e: list(e.path))
for e in errors:
    print(f"{'/'.join(map(str, e.path)) or '(root)'}: {e.message}")
if not errors:
    print("ok")
if result.get("ips") and result.get("interfaces"):
    for ip in result["ips"]:
        if "interface" in ip and not 0 <= ip["interface"] < len(result["interfaces"]):
            print(f"ips: interface index {ip['interface']} is not an index into interfaces")
