"""The check harness the interop scripts share: every check is counted under
its label, the first failure stops the script, and the report at the end says
how many checks of each kind passed."""

import sys

CHECKS = {}


class CheckFailed(Exception):
    pass


def check(cond, what, detail=""):
    """Records one check under the label `what`; raises when `cond` is false."""
    if not cond:
        raise CheckFailed(what + (": " + detail if detail else ""))
    CHECKS[what] = CHECKS.get(what, 0) + 1


def report(headline):
    """Prints `headline` with the total, then the count of each kind of check."""
    total = sum(CHECKS.values())
    print(headline % {"total": total, "kinds": len(CHECKS)})
    for what, count in sorted(CHECKS.items()):
        print("  %5d  %s" % (count, what))


def failed(message):
    """Says why the script failed and how far it got; exit status 1."""
    print("FAILED: %s" % message, file=sys.stderr)
    print("(%d checks passed before)" % sum(CHECKS.values()), file=sys.stderr)
    sys.exit(1)
