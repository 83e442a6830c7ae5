//! `yaji lottery verify` as a member runs it: on the result a server
//! published (a saved file and the URL itself) it prints each check and
//! "verified"; on a result with one winner changed it fails with exit 1.

use std::process::Command;

use serde_json::json;
use yaji_testkit::*;

fn verify(source: &str) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_yaji")).args(["lottery", "verify", source]).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_accepts_a_published_draw_and_rejects_a_changed_one() {
    let t = TestApp::spawn(Backend::Sqlite).await;
    let owner = t.user("owner").await;
    owner.post("/api/v1/communities", community("club", "open")).await;
    let close = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let body = json!({"title": "抽奖", "prizes": [{"name": "书", "quantity": 2}], "entries_close_at": close});
    let (_, l) = owner.post("/api/v1/communities/club/lotteries", body).await;
    let id = l["id"].as_i64().unwrap();
    for i in 0..6 {
        let u = t.user(&format!("member{i}")).await;
        u.post("/api/v1/communities/club/join", json!({})).await;
        u.post(&format!("/api/v1/lotteries/{id}/entries"), json!({})).await;
    }
    t.exec(&format!("UPDATE lotteries SET closes_at = 1 WHERE id = {id}")).await;
    let (_, r) = owner.post(&format!("/api/v1/lotteries/{id}/draw"), json!({})).await;

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("result.json");
    std::fs::write(&file, r.to_string()).unwrap();
    let (code, out) = verify(file.to_str().unwrap());
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("verified") && !out.contains("FAIL"), "{out}");
    let (code, out) = verify(&t.url(&format!("/api/v1/lotteries/{id}/result")));
    assert_eq!(code, 0, "{out}");

    let mut bad = r.clone();
    let other = bad["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["ticket"].clone())
        .find(|t| *t != r["winners"][0]["ticket"] && *t != r["winners"][1]["ticket"])
        .unwrap();
    bad["winners"][0]["ticket"] = other;
    std::fs::write(&file, bad.to_string()).unwrap();
    let (code, out) = verify(file.to_str().unwrap());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL winners"), "{out}");
    t.cleanup().await;
}
