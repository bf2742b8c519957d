#!/usr/bin/env python3
"""Validate every tool map in rules/tools/ against schema/toolmap.v1.schema.json.

Usage: python3 rules/tools/check_toolmaps.py [FILE.yaml ...]
Needs: pip install pyyaml jsonschema

Besides the JSON Schema (Draft 2020-12) it checks what the schema cannot say:
duplicate YAML keys (yaml.safe_load would silently keep the last one), that each
tool (and each `cases` item) says what it is with exactly one of read / local / verb /
command / argv / cases / unresolved, that constant verbs are canonical verbs,
that `program` only goes with `command` or `argv`, and that map ids are unique.
Exit status 1 when anything is wrong.
"""

import json
import sys
from pathlib import Path

import jsonschema
import yaml

HERE = Path(__file__).resolve().parent
SCHEMA = HERE.parent.parent / "schema" / "toolmap.v1.schema.json"

VERBS = {
    "create", "apply", "server-side-apply", "replace", "patch", "delete", "scale",
    "rollout-restart", "rollout-undo", "rollout-pause", "rollout-resume", "set-image",
    "set-env", "set-resources", "label", "annotate", "exec", "run", "expose", "autoscale",
    "cordon", "uncordon", "drain", "taint", "helm-install", "helm-upgrade",
    "helm-uninstall", "helm-rollback", "context-switch", "read",
}
WHAT = ("read", "local", "verb", "command", "argv", "cases", "unresolved")


class UniqueKeyLoader(yaml.SafeLoader):
    """A SafeLoader that refuses duplicate mapping keys."""


def _construct_mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def check_tool(where, tool, errors):
    present = [k for k in WHAT if k in tool]
    if len(present) != 1:
        errors.append(f"{where}: needs exactly one of {', '.join(WHAT)}; has {present or 'none'}")
    verb = tool.get("verb")
    if isinstance(verb, str) and verb not in VERBS:
        errors.append(f"{where}: verb {verb!r} is not a canonical verb")
    if isinstance(verb, dict):
        for v in (verb.get("map") or {}).values():
            if v not in VERBS:
                errors.append(f"{where}: verb map value {v!r} is not a canonical verb")
    if "program" in tool and not ({"command", "argv"} & tool.keys()):
        errors.append(f"{where}: `program` without `command` or `argv`")
    for i, case in enumerate(tool.get("cases") or []):
        check_tool(f"{where}.cases[{i}]", case, errors)


def main(argv):
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)

    files = [Path(a) for a in argv[1:]] or sorted(HERE.glob("*.yaml"))
    errors, ids, total = [], {}, 0
    for path in files:
        try:
            doc = yaml.load(path.read_text(), Loader=UniqueKeyLoader)
        except yaml.YAMLError as e:
            errors.append(f"{path.name}: YAML: {e}")
            continue
        for err in sorted(validator.iter_errors(doc), key=lambda e: list(e.path)):
            loc = "/".join(str(p) for p in err.path) or "(root)"
            errors.append(f"{path.name}: {loc}: {err.message[:300]}")
        if not isinstance(doc, dict):
            continue
        map_id = doc.get("id")
        if map_id in ids:
            errors.append(f"{path.name}: id {map_id!r} already used by {ids[map_id]}")
        ids[map_id] = path.name
        tools = doc.get("tools") or {}
        for name, tool in tools.items():
            if isinstance(tool, dict):
                check_tool(f"{path.name}: tools.{name}", tool, errors)
        total += len(tools)
        print(f"{path.name}: {len(tools)} tools")

    if errors:
        print(f"\n{len(errors)} problem(s):", file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        return 1
    print(f"ok: {len(files)} files, {total} tools")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
