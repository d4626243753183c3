"""Computes expected.json for paygap.mpcs from sample.csv with Python's
statistics module (float64): python3 reference.py > expected.json"""
import csv
import json
import statistics as st

MIN_COHORT = 5
NOT_RELEASED = -1
rows = list(csv.DictReader(open("sample.csv")))
salary = [float(r["salary"]) for r in rows]
gender = [int(r["gender"]) for r in rows]
role = [int(r["role"]) for r in rows]


def cohort(mask):
    return [s for s, m in zip(salary, mask) if m]


def guarded(f, c):
    return f(c) if len(c) >= MIN_COHORT else NOT_RELEASED


men = cohort([g == 0 for g in gender])
women = cohort([g == 1 for g in gender])
both = len(men) >= MIN_COHORT and len(women) >= MIN_COHORT
out = {
    "providers": len(salary),
    "mean_men": guarded(st.mean, men),
    "mean_women": guarded(st.mean, women),
    "median_men": guarded(st.median, men),
    "median_women": guarded(st.median, women),
    "mean_ratio_women_to_men": st.mean(women) / st.mean(men) if both else NOT_RELEASED,
    "median_ratio_women_to_men": st.median(women) / st.median(men) if both else NOT_RELEASED,
    "mean_by_role": [guarded(st.mean, cohort([x == r for x in role])) for r in range(4)],
    "median_by_role": [guarded(st.median, cohort([x == r for x in role])) for r in range(4)],
}
print(json.dumps({"outputs": out}))
