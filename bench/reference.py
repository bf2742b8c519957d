#!/usr/bin/env python3
"""The minimal Python reference of the speed benchmark: parse every run with json, count the
mutating calls per arm, group by arm (with pandas when it is installed, else a dict: the same
work). What a researcher writes in an afternoon; kubeautopsy must beat it (issue 22: 4x on two
threads) while doing far more (schema, replay, rules).

    python3 bench/reference.py CORPUS_DIR      (.jsonl and .json files, uncompressed)
"""
import json
import os
import re
import sys


# Mutating tools of the corpus's MCP servers, and kubectl/helm verbs through shell tools.
MUTATING_TOOLS = {
    "kubectl_apply", "kubectl_create", "kubectl_delete", "kubectl_patch", "kubectl_scale",
    "kubectl_rollout", "install_helm_chart", "upgrade_helm_chart", "uninstall_helm_chart",
    "node_management", "exec_in_pod", "resources_create_or_update", "resources_delete",
    "resources_scale", "pods_delete", "pods_run", "pods_exec", "helm_install", "helm_uninstall",
}
SHELL_MUTATION = re.compile(
    r"\b(?:kubectl|helm)\b[^|;&]*?\b(?:apply|create|delete|patch|replace|scale|rollout\s+(?:restart|undo)"
    r"|set|label|annotate|edit|drain|cordon|uncordon|taint|install|upgrade|uninstall|rollback)\b"
)


def runs(root):
    for d, _, files in os.walk(root):
        for name in sorted(files):
            path = os.path.join(d, name)
            if name.endswith(".jsonl"):
                with open(path, encoding="utf-8") as f:
                    for line in f:
                        if line.strip():
                            yield json.loads(line)
            elif name.endswith(".json"):
                with open(path, encoding="utf-8") as f:
                    yield json.load(f)


def mutating(event):
    if event.get("type") != "tool_call":
        return False
    if event.get("tool") in MUTATING_TOOLS:
        return True
    args = event.get("arguments")
    command = args.get("command") if isinstance(args, dict) else args if isinstance(args, str) else None
    return isinstance(command, str) and SHELL_MUTATION.search(command) is not None


def main():
    rows = [
        (t["run"].get("arm"), sum(1 for e in t.get("events", []) if mutating(e)))
        for t in runs(sys.argv[1])
    ]
    try:
        import pandas as pd
    except ImportError:
        by_arm = {}
        for arm, n in rows:
            runs_n, mutating_n = by_arm.get(arm, (0, 0))
            by_arm[arm] = (runs_n + 1, mutating_n + n)
        print("arm runs mutating")
        for arm in sorted(by_arm, key=str):
            print(arm, *by_arm[arm])
        return
    df = pd.DataFrame(rows, columns=["arm", "mutating_calls"])
    print(df.groupby("arm").agg(runs=("mutating_calls", "size"), mutating=("mutating_calls", "sum")))


if __name__ == "__main__":
    main()
