"""The usual uplift models, as peers of the engine's uplift targeting.

Reads a log and its simulation mapping (docs/simulate/*.mapping.yaml), learns on the
rows the engine learns from (the mapping's train share, in time order) and writes, for
each peer, the targeting of the rows the engine is valued on: for each row, the action
with the highest predicted uplift over sending nothing, and that uplift. `simulate
-ranking NAME=FILE` then values every peer's targeting beside the engine's, on the same
rows with the same estimator, so the comparison is like for like.

Peers, each with its library's default settings (nothing tuned on the valued rows):
  two-model logistic regression  one scikit-learn LogisticRegression per arm
                                  (the actions and nothing); uplift = p(action) - p(nothing)
  two-model LightGBM             the same with LightGBM's LGBMClassifier
  class transformation           Jaskowski & Jaroszewicz (2012): per action, one logistic
                                  regression of z = (treated and positive) or (control and
                                  negative) on the action's and the control's rows;
                                  uplift = 2 P(z) - 1 (the arms must be equally likely, as
                                  they are in a randomized test with equal shares)

Usage: uplift.py --mapping M --log CSV --out DIR [--seed N]
"""

import argparse
import csv
import os
import sys
from datetime import datetime

import numpy as np
import yaml
from lightgbm import LGBMClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

TRUE = {"1", "true", "True", "TRUE", "yes"}


def read_log(mapping, path):
    """Rows of the log as (index, row dict), ordered by time as the engine's replay does."""
    with open(path, newline="") as f:
        rows = [(i, {k.strip(): (v or "").strip() for k, v in r.items()}) for i, r in enumerate(csv.DictReader(f))]
    time_column = mapping.get("time")
    if time_column:
        # A stable sort, as Go's slices.SortStableFunc: equal times keep file order.
        rows.sort(key=lambda ir: datetime.fromisoformat(ir[1][time_column].replace("Z", "+00:00")).timestamp())
    return rows


class Features:
    """The mapping's attributes as a numeric matrix: numbers as they are, booleans as 0/1,
    strings one-hot over the values seen while learning (others are all zeros)."""

    def __init__(self, mapping, train_rows):
        self.attributes = mapping["attributes"]
        self.levels = {}
        for a in self.attributes:
            if a["type"] == "string":
                self.levels[a["column"]] = sorted({r[a["column"]] for r in train_rows})

    def matrix(self, rows):
        columns = []
        for a in self.attributes:
            c = a["column"]
            if a["type"] == "number":
                columns.append(np.array([float(r[c]) for r in rows]))
            elif a["type"] == "bool":
                columns.append(np.array([1.0 if r[c] in TRUE else 0.0 for r in rows]))
            else:
                values = np.array([r[c] for r in rows])
                columns.extend((values == level).astype(float) for level in self.levels[c])
        return np.column_stack(columns)


def two_model(make_model, x_train, arms, y, x_valued, actions, nothing):
    """Uplift per action: a model per arm, p(action) - p(nothing)."""
    def fit(mask):
        return make_model().fit(x_train[mask], y[mask]).predict_proba(x_valued)[:, 1]
    base = fit(arms == nothing)
    return {a: fit(arms == a) - base for a in actions}


def class_transformation(make_model, x_train, arms, y, x_valued, actions, nothing):
    """Uplift per action by the transformed outcome on the action's and control's rows."""
    out = {}
    for a in actions:
        mask = (arms == a) | (arms == nothing)
        z = np.where(arms[mask] == a, y[mask], 1 - y[mask])
        out[a] = 2 * make_model().fit(x_train[mask], z).predict_proba(x_valued)[:, 1] - 1
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mapping", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--out", required=True, help="folder for one ranking CSV per peer")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with open(args.mapping) as f:
        mapping = yaml.safe_load(f)
    treatment = mapping["treatment"]
    by_value = treatment["actions"]
    if "" not in by_value.values():
        sys.exit("uplift.py: the mapping has no \"nothing\" arm to measure uplift against")
    rows = read_log(mapping, args.log)
    split = int(float(mapping.get("train", 0.5)) * len(rows))
    train, valued = [r for _, r in rows[:split]], rows[split:]

    features = Features(mapping, train)
    scaler = StandardScaler().fit(features.matrix(train))
    x_train = scaler.transform(features.matrix(train))
    x_valued = scaler.transform(features.matrix([r for _, r in valued]))
    arms = np.array([by_value[r[treatment["column"]]] for r in train])
    y = np.array([1 if r[mapping["outcome"]] in TRUE else 0 for r in train])
    actions = sorted(a for a in set(by_value.values()) if a != "")

    def logistic():
        return LogisticRegression(max_iter=2000)

    def lightgbm():
        return LGBMClassifier(random_state=args.seed, deterministic=True, force_row_wise=True, n_jobs=1, verbose=-1)

    peers = {
        "two-model logistic regression": two_model(logistic, x_train, arms, y, x_valued, actions, ""),
        "two-model LightGBM": two_model(lightgbm, x_train, arms, y, x_valued, actions, ""),
        "class transformation": class_transformation(logistic, x_train, arms, y, x_valued, actions, ""),
    }
    os.makedirs(args.out, exist_ok=True)
    for name, uplift in peers.items():
        table = np.column_stack([uplift[a] for a in actions])
        best = table.argmax(axis=1)
        path = os.path.join(args.out, name.replace(" ", "-") + ".csv")
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["row", "action", "uplift"])
            for k, (index, _) in enumerate(valued):
                w.writerow([index, actions[best[k]], repr(float(table[k, best[k]]))])
        print(f"{name}: {len(valued)} rows ranked -> {path}")


if __name__ == "__main__":
    main()
