//! Bulk seeding for benchmarks: multi-row INSERTs in large transactions,
//! straight through the storage layer's connection (no use cases: the point
//! is a big, realistic table fast, not activity history).

use anyhow::Result;
use sha2::{Digest, Sha256};
use yaji_store::Db;

pub struct Seeded {
    pub token: String,
    pub post_with_comments: i64,
    pub recent_posts: Vec<i64>,
}

const COMMUNITIES: usize = 10;

fn esc(s: &str) -> String {
    s.replace('\'', "''")
}

pub async fn seed(url: &str, members: usize, posts: usize) -> Result<Seeded> {
    let db = Db::connect(url).await?;
    db.migrate().await?;
    let now = yaji_store::now_millis();
    let day = 86_400_000i64;
    let mut tx = db.write().await?;
    let c = tx.conn();
    // Users (the password hash is a placeholder: nobody logs in during the bench).
    for chunk in (0..members).collect::<Vec<_>>().chunks(2000) {
        let rows: Vec<String> = chunk
            .iter()
            .map(|i| format!("('member{i}', '成员 {i}', 'x', 'zh-CN', 'Asia/Shanghai', 0, {})", now - 120 * day))
            .collect();
        c.execute_batch(format!("INSERT INTO users (username, display_name, password_hash, locale, time_zone, is_site_admin, created_at) VALUES {}", rows.join(",")).as_str())
            .await?;
    }
    for k in 0..COMMUNITIES {
        let slug = if k == 0 { "bench".to_string() } else { format!("bench-{k}") };
        c.execute_batch(
            format!(
                "INSERT INTO communities (slug, name, description, visibility, join_policy, time_zone, owner_id, created_at, updated_at)
                 VALUES ('{slug}', 'Bench {k}', 'benchmark community', 'public', 'open', 'Asia/Shanghai', {}, {t}, {t})",
                k + 1,
                t = now - 120 * day
            )
            .as_str(),
        )
        .await?;
    }
    // Everyone is in the bench community (id 1) and one other.
    for chunk in (0..members).collect::<Vec<_>>().chunks(2000) {
        let mut rows = vec![];
        for i in chunk {
            let uid = i + 1;
            let role = if *i < COMMUNITIES { "owner" } else { "member" };
            rows.push(format!(
                "(1, {uid}, '{}', 'active', {t}, {t})",
                if *i == 0 { "owner" } else { "member" },
                t = now - 100 * day
            ));
            let other = 2 + i % (COMMUNITIES - 1);
            rows.push(format!("({other}, {uid}, '{role}', 'active', {t}, {t})", t = now - 100 * day));
        }
        c.execute_batch(
            format!(
                "INSERT INTO memberships (community_id, user_id, role, state, joined_at, state_changed_at) VALUES {}",
                rows.join(",")
            )
            .as_str(),
        )
        .await?;
    }
    // Posts spread over 90 days and the communities.
    let body =
        "今天读完了这一章，分享几点体会。Finished the chapter today; a few thoughts worth sharing with the group.";
    let html = format!("<p>{body}</p>");
    for start in (0..posts).step_by(1000) {
        let rows: Vec<String> = (start..(start + 1000).min(posts))
            .map(|i| {
                let at = now - 90 * day + (i as i64 * 90 * day / posts as i64);
                let community = 1 + i % COMMUNITIES;
                let author = 1 + (i * 7919) % members;
                format!("({community}, {author}, 'Post {i}', '{b}', '{h}', '{b}', {at})", b = esc(body), h = esc(&html))
            })
            .collect();
        c.execute_batch(
            format!(
                "INSERT INTO posts (community_id, author_id, title, body, body_html, excerpt, created_at) VALUES {}",
                rows.join(",")
            )
            .as_str(),
        )
        .await?;
    }
    c.execute_batch("UPDATE communities SET member_count = (SELECT COUNT(*) FROM memberships m WHERE m.community_id = communities.id AND m.state = 'active'), post_count = (SELECT COUNT(*) FROM posts p WHERE p.community_id = communities.id)").await?;
    // The post read with 50 comments: the newest in the bench community.
    let post: i64 =
        yaji_store::sql::query_scalar("SELECT MAX(id) FROM posts WHERE community_id = 1").fetch_one(&mut *c).await?;
    let rows: Vec<String> = (0..50)
        .map(|k| {
            format!(
                "({post}, 1, {}, '评论 {k}: agreed!', '<p>评论 {k}: agreed!</p>', {})",
                1 + k * 13,
                now - 3_600_000 + k as i64 * 1000
            )
        })
        .collect();
    c.execute_batch(
        format!(
            "INSERT INTO comments (post_id, community_id, author_id, body, body_html, created_at) VALUES {}",
            rows.join(",")
        )
        .as_str(),
    )
    .await?;
    c.execute_batch(format!("UPDATE posts SET comment_count = 50 WHERE id = {post}").as_str()).await?;
    let recent: Vec<i64> = yaji_store::sql::query_scalar(
        "SELECT id FROM posts WHERE community_id = 1 AND id < $1 ORDER BY id DESC LIMIT 1000",
    )
    .bind(post)
    .fetch_all(&mut *c)
    .await?;
    let token = "yaji_benchmark_token_not_secret";
    let hash = hex::encode(Sha256::digest(token.as_bytes()));
    c.execute_batch(
        format!("INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES (2, 'bench', '{hash}', {now})")
            .as_str(),
    )
    .await?;
    // The load generator is one member commenting thousands of times a second: a
    // flood by definition. The benchmark community turns flood detection off; every
    // other rule stays on, so each comment is still fully screened.
    c.execute_batch(
        format!(
            "INSERT INTO moderation_settings (community_id, settings, updated_at) VALUES (1, '{}', {now})",
            r#"{"detectors":{"flood":{"enabled":false,"action":"mute","mute_minutes":10}}}"#
        )
        .as_str(),
    )
    .await?;
    c.execute_batch("UPDATE communities SET moderation_version = 1 WHERE id = 1").await?;
    tx.commit().await?;
    if db.backend() == yaji_store::Backend::Sqlite {
        let mut c = db.read().await?;
        c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").await?;
        c.execute_batch("ANALYZE").await?;
    } else {
        let mut c = db.read().await?;
        c.execute_batch("ANALYZE").await?;
    }
    db.close().await;
    Ok(Seeded { token: token.into(), post_with_comments: post, recent_posts: recent })
}

/// One open community `club` (id 1) owned by user 1, with `members` active
/// members `m0…` (user ids 2…), committed: the stage of the assistant and
/// points workloads.
pub async fn club_with_members(db: &Db, members: usize, owner_member: bool) -> Result<()> {
    let mut tx = db.write().await?;
    let c = tx.conn();
    c.execute_batch(
        "INSERT INTO users (username, display_name, password_hash, created_at) VALUES ('owner', 'Owner', '!', 0)",
    )
    .await?;
    c.execute_batch(
        "INSERT INTO communities (slug, name, description, visibility, join_policy, time_zone, owner_id, created_at, updated_at)
         VALUES ('club', 'Club', '', 'public', 'open', 'Asia/Shanghai', 1, 0, 0)",
    )
    .await?;
    if owner_member {
        c.execute_batch("INSERT INTO memberships (community_id, user_id, role, state, joined_at, state_changed_at) VALUES (1, 1, 'owner', 'active', 0, 0)").await?;
    }
    for chunk in (0..members).collect::<Vec<_>>().chunks(2000) {
        let users: Vec<String> = chunk.iter().map(|i| format!("('m{i}', 'Member {i}', '!', 0)")).collect();
        c.execute_batch(
            format!("INSERT INTO users (username, display_name, password_hash, created_at) VALUES {}", users.join(","))
                .as_str(),
        )
        .await?;
        let ms: Vec<String> = chunk.iter().map(|i| format!("(1, {}, 'member', 'active', 0, 0)", i + 2)).collect();
        c.execute_batch(
            format!(
                "INSERT INTO memberships (community_id, user_id, role, state, joined_at, state_changed_at) VALUES {}",
                ms.join(",")
            )
            .as_str(),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
