"""Computes expected.json for devcon.mpcs from sample.csv with Python's
statistics module (float64): python3 reference.py > expected.json"""
import csv
import json
import statistics as st

balance = [float(r["balance"]) for r in csv.DictReader(open("sample.csv"))]
n = len(balance)
gini = sum(abs(a - b) for a in balance for b in balance) / (2 * n * n * st.mean(balance))
out = {
    "providers": n,
    "mean": st.mean(balance),
    "median": st.median(balance),
    "max": max(balance),
    "gini": gini,
}
print(json.dumps({"outputs": out}))
