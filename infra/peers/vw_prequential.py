"""Vowpal Wabbit, prequential: the online learner the engine's models are measured against.

Reads examples from stdin, one per line, in the order the engine sees them:

    <group> TAB <label 0|1> TAB <VW features, e.g. "recency:7 zip=Urban">

and writes one probability per line to stdout: the example scored by its group's model
(one VW model per group, as the engine keeps one model per action), then learned from.
VW runs with its default learner and settings (adaptive, normalized, invariant updates,
learning rate 0.5), the logistic loss, and the logistic link so its scores are
probabilities. Extra VW arguments may follow on the command line.
"""

import sys

from vowpalwabbit import Workspace

ARGS = "--loss_function logistic --link logistic --quiet " + " ".join(sys.argv[1:])


def main():
    models = {}
    out = sys.stdout
    for line in sys.stdin:
        group, label, features = line.rstrip("\n").split("\t", 2)
        model = models.get(group)
        if model is None:
            model = models[group] = Workspace(ARGS)
        p = model.predict("| " + features)
        out.write(repr(float(p)) + "\n")
        model.learn(("1" if label == "1" else "-1") + " | " + features)
    for model in models.values():
        model.finish()


if __name__ == "__main__":
    main()
