"""DuckDB baseline for `bench/run.sh analytics`: the same figures, in SQL, over
the same events (CSV `member,day`). Prints one JSON object of timings (ms)."""
import json
import sys
import time

import duckdb

path, last = sys.argv[1], int(sys.argv[2])
con = duckdb.connect()


def timed(sql, repeat=3):
    best, rows = None, None
    for _ in range(repeat):
        t = time.perf_counter()
        rows = con.execute(sql).fetchall()
        ms = (time.perf_counter() - t) * 1000
        best = ms if best is None else min(best, ms)
    return best, rows


t = time.perf_counter()
con.execute(f"CREATE TABLE ev AS SELECT * FROM read_csv('{path}', header=true, columns={{'member':'INTEGER','day':'INTEGER'}})")
load_ms = (time.perf_counter() - t) * 1000
t = time.perf_counter()
# The equivalent of the engine's structures: distinct (member, day) and first days.
con.execute("CREATE TABLE act AS SELECT DISTINCT member, day FROM ev")
con.execute("CREATE TABLE first AS SELECT member, MIN(day) AS f FROM act GROUP BY member")
build_ms = (time.perf_counter() - t) * 1000

retention_ms, rows = timed(f"""
  SELECT f.f AS cohort, a.day - f.f AS k, COUNT(*) AS n
  FROM act a JOIN first f USING (member)
  WHERE f.f BETWEEN {last - 29} AND {last} AND a.day - f.f < 30
  GROUP BY ALL""")
cells = sum(1 for _ in rows)
con.execute(f"CREATE TABLE days AS SELECT range AS day FROM range({last - 89}, {last + 1})")
dau_ms, _ = timed("SELECT day, COUNT(*) FROM act GROUP BY day")
wau_ms, _ = timed("SELECT d.day, COUNT(DISTINCT a.member) FROM days d JOIN act a ON a.day BETWEEN d.day - 6 AND d.day GROUP BY d.day", 1)
mau_ms, mau = timed("SELECT d.day, COUNT(DISTINCT a.member) FROM days d JOIN act a ON a.day BETWEEN d.day - 29 AND d.day GROUP BY d.day ORDER BY d.day", 1)
print(json.dumps({
    "load_ms": load_ms, "build_ms": build_ms, "retention_ms": retention_ms, "retention_cells": cells,
    "dau_ms": dau_ms, "wau_ms": wau_ms, "mau_ms": mau_ms, "mau_last": mau[-1][1],
}))
