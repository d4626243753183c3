"""Computes expected.json for health.mpcs from sample.csv with Python's
statistics module (float64): python3 reference.py > expected.json"""
import csv
import json
import statistics as st

rows = list(csv.DictReader(open("sample.csv")))
age = [int(r["age"]) for r in rows]
bmi = [float(r["bmi"]) for r in rows]
systolic = [float(r["systolic"]) for r in rows]
smoker = [int(r["smoker"]) for r in rows]
fit = st.linear_regression(bmi, systolic)
s_bmi = [b for b, s in zip(bmi, smoker) if s == 1]
s_sys = [b for b, s in zip(systolic, smoker) if s == 1]
out = {
    "participants": len(bmi),
    "mean_age": st.mean(age),
    "mean_bmi": st.mean(bmi),
    "stdev_bmi": st.stdev(bmi),
    "mean_systolic": st.mean(systolic),
    "stdev_systolic": st.stdev(systolic),
    "quartiles_systolic": st.quantiles(systolic, n=4),
    "correlation_bmi_systolic": st.correlation(bmi, systolic),
    "systolic_per_bmi": fit.slope,
    "systolic_at_bmi_0": fit.intercept,
    "smokers": len(s_bmi),
    "mean_systolic_smokers": st.mean(s_sys),
    "stdev_systolic_smokers": st.stdev(s_sys),
    "correlation_bmi_systolic_smokers": st.correlation(s_bmi, s_sys),
}
print(json.dumps({"outputs": out}))
