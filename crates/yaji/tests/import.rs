//! `yaji import activity` then `yaji analytics`, as an operator runs them:
//! rejected lines are reported by number, a second import changes nothing,
//! and the figures match a naive count over the file (SQLite).

use std::collections::{HashMap, HashSet};
use std::process::Command;

fn yaji(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_yaji"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("DATABASE_URL")
        .env("YAJI_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn import_then_analyse_matches_a_naive_count() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("log.jsonl");
    let mut lines = Vec::new();
    let mut x: u64 = 42;
    // 30 members over 20 days, times spread over the whole day so UTC+8 moves some across midnight.
    for _ in 0..600 {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let member = (x >> 33) % 30;
        let day = 1 + (x >> 40) % 20;
        let minute = (x >> 20) % 1440;
        let kind = ["post", "comment", "reaction", "checkin"][((x >> 50) % 4) as usize];
        lines.push(format!(
            r#"{{"community":"salon","member":"user{member:02}","kind":"{kind}","at":"2026-10-{day:02}T{:02}:{:02}:00Z"}}"#,
            minute / 60,
            minute % 60
        ));
    }
    lines.insert(10, "this is not json".into());
    lines.insert(20, r#"{"community":"salon","member":"user01","kind":"post","at":"last tuesday"}"#.into());
    std::fs::write(&file, lines.join("\n")).unwrap();

    let (code, out, err) = yaji(dir.path(), &["import", "activity", file.to_str().unwrap()]);
    assert_eq!(code, 2, "some lines were rejected: {out} {err}");
    assert!(err.contains("line 11: rejected") && err.contains("line 21: rejected: at 'last tuesday'"), "{err}");
    // Duplicate lines in the file count once.
    let distinct: HashSet<&String> =
        lines.iter().filter(|l| l.starts_with(r#"{"community":"salon""#) && !l.contains("tuesday")).collect();
    assert!(
        out.starts_with(&format!("{} events imported, {} already there", distinct.len(), 600 - distinct.len())),
        "{out}"
    );
    let (_, again, _) = yaji(dir.path(), &["import", "activity", file.to_str().unwrap()]);
    assert!(again.starts_with("0 events imported, 600 already there"), "{again}");

    for (tz, offset_h) in [("UTC", 0i64), ("Asia/Shanghai", 8)] {
        let (code, json, err) = yaji(
            dir.path(),
            &["analytics", "--community", "salon", "--from", "2026-10-01", "--to", "2026-10-21", "--tz", tz, "--json"],
        );
        assert_eq!(code, 0, "{err}");
        let d: serde_json::Value = serde_json::from_str(&json).unwrap();
        // Naive: local day of each line, distinct members per day.
        let mut active: HashMap<String, HashSet<String>> = HashMap::new();
        for l in &distinct {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let t = chrono::DateTime::parse_from_rfc3339(v["at"].as_str().unwrap()).unwrap()
                + chrono::Duration::hours(offset_h);
            active.entry(t.format("%Y-%m-%d").to_string()).or_default().insert(v["member"].as_str().unwrap().into());
        }
        for p in d["dau"].as_array().unwrap() {
            let want = active.get(p["date"].as_str().unwrap()).map_or(0, HashSet::len);
            assert_eq!(p["count"].as_u64().unwrap() as usize, want, "{tz} {}", p["date"]);
        }
        assert_eq!(d["members"], 30);
        assert!(d["retention_daily"].as_array().unwrap().iter().all(|c| c["retained"][0] == c["size"]));
        // Imported posts count for the per-day rates; they carry no post id, so no per-post figures.
        let mut posters: HashMap<String, HashSet<String>> = HashMap::new();
        for l in distinct.iter().filter(|l| l.contains(r#""kind":"post""#)) {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let t = chrono::DateTime::parse_from_rfc3339(v["at"].as_str().unwrap()).unwrap()
                + chrono::Duration::hours(offset_h);
            posters.entry(t.format("%Y-%m-%d").to_string()).or_default().insert(v["member"].as_str().unwrap().into());
        }
        for p in d["posting_rate"].as_array().unwrap() {
            let day = p["date"].as_str().unwrap();
            let (n, of) = (posters.get(day).map_or(0, HashSet::len), active.get(day).map_or(0, HashSet::len));
            let want = if of == 0 { 0.0 } else { n as f64 / of as f64 };
            assert!((p["value"].as_f64().unwrap() - want).abs() < 1e-9, "{tz} {day}");
        }
        assert_eq!(d["response"]["posts"]["posts"], 0);
        assert!(d["kols"].as_array().unwrap().is_empty());
        let last = d["tiers"].as_array().unwrap().last().unwrap().clone();
        let total: u64 = ["new", "active", "core", "silent", "churned"].iter().map(|k| last[k].as_u64().unwrap()).sum();
        assert_eq!(total, 30, "{last}");
    }
}
