#!/usr/bin/env python3
"""Per-module mutation scores from Stryker's JSON report (mutation-testing-report-schema), and the break rule of
make mutation: every module at or above the threshold, not only their total. A module is one mutated file.
Score = (Killed + Timeout) / (Killed + Timeout + Survived + NoCoverage), as Stryker computes it; compile errors and
ignored mutants are not counted. Survivors listed in docs/testing.md as equivalent are counted as survivors all the same."""
import json
import sys

def main(report_path: str, threshold: float, markdown: bool) -> int:
    report = json.load(open(report_path, encoding="utf-8"))
    rows = []
    for path, file in sorted(report["files"].items()):
        counts = {}
        for mutant in file["mutants"]:
            counts[mutant["status"]] = counts.get(mutant["status"], 0) + 1
        detected = counts.get("Killed", 0) + counts.get("Timeout", 0)
        undetected = counts.get("Survived", 0) + counts.get("NoCoverage", 0)
        if detected + undetected == 0:
            continue
        module = path.split("/src/DematOperator/", 1)[-1]
        rows.append((module, 100.0 * detected / (detected + undetected), detected, counts.get("Survived", 0), counts.get("NoCoverage", 0)))
    if markdown:
        print("| module | score | killed | survived | no coverage |")
        print("|---|---|---|---|---|")
        for module, score, killed, survived, nocov in rows:
            print(f"| `{module}` | {score:.1f} % | {killed} | {survived} | {nocov} |")
    else:
        for module, score, killed, survived, nocov in rows:
            print(f"{score:6.1f} %  {module}  (killed {killed}, survived {survived}, no coverage {nocov})")
    below = [r for r in rows if r[1] < threshold]
    for module, score, *_ in below:
        print(f"mutation: {module} scores {score:.1f} %, below the {threshold:.0f} % every module must reach", file=sys.stderr)
    if not rows:
        print("mutation: the report holds no mutant", file=sys.stderr)
        return 1
    return 1 if below else 0

if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--markdown"]
    sys.exit(main(args[0], float(args[1]) if len(args) > 1 else 85.0, "--markdown" in sys.argv))
