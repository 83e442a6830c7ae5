use crate::sql::{query, query_as, query_scalar, Conn};
use yaji_domain::content::{Answered, ContentState, Cursor, Feed};

#[derive(Debug, Clone, serde::Deserialize)]
pub struct PostRow {
    pub id: i64,
    pub community_id: i64,
    pub author_id: i64,
    pub author_username: String,
    pub author_display_name: String,
    pub author_avatar_url: Option<String>,
    pub topic_id: Option<i64>,
    pub topic_name: Option<String>,
    /// The topic's read gate (domain::content::TopicAccess).
    #[serde(default)]
    pub topic_read_min_level: Option<i64>,
    #[serde(default)]
    pub topic_read_tag: Option<String>,
    pub title: Option<String>,
    /// Absent (empty) in list queries, which only need the excerpt.
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub body_html: String,
    pub excerpt: String,
    pub pinned: i64,
    pub essence: i64,
    pub comment_count: i64,
    pub reaction_count: i64,
    pub created_at: i64,
    pub edited_at: Option<i64>,
    pub deleted_at: Option<i64>,
    /// visible | held | hidden
    pub moderation: ContentState,
    /// Asked as a question (Q&A), with its accepted answer and bounty.
    #[serde(default)]
    pub question: i64,
    #[serde(default)]
    pub accepted_comment_id: Option<i64>,
    #[serde(default)]
    pub bounty: Option<i64>,
}

const POST_SELECT: &str = "SELECT p.id, p.community_id, p.author_id, u.username AS author_username, u.display_name AS author_display_name,
    u.avatar_url AS author_avatar_url, p.topic_id, t.name AS topic_name, t.read_min_level AS topic_read_min_level, t.read_tag AS topic_read_tag, p.title, p.body, p.body_html, p.excerpt, p.pinned, p.essence,
    p.comment_count, p.reaction_count, p.created_at, p.edited_at, p.deleted_at, p.moderation,
    CAST(CASE WHEN q.post_id IS NULL THEN 0 ELSE 1 END AS BIGINT) AS question, q.accepted_comment_id, q.bounty
    FROM posts p JOIN users u ON u.id = p.author_id LEFT JOIN topics t ON t.id = p.topic_id
    LEFT JOIN questions q ON q.post_id = p.id";

pub struct NewPost<'a> {
    pub community_id: i64,
    pub author_id: i64,
    pub topic_id: Option<i64>,
    pub title: Option<&'a str>,
    pub body: &'a str,
    pub body_html: &'a str,
    pub excerpt: &'a str,
    pub created_at: i64,
    /// As decided by moderation.
    pub moderation: ContentState,
}

pub async fn insert_post(conn: &mut Conn, p: &NewPost<'_>) -> crate::Result<i64> {
    let q = query_scalar(
        "INSERT INTO posts (community_id, author_id, topic_id, title, body, body_html, excerpt, created_at, moderation)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .binds((p.community_id, p.author_id, p.topic_id, p.title, p.body, p.body_html, p.excerpt, p.created_at))
    .bind(p.moderation.as_str());
    q.fetch_one(conn).await
}

/// Keeps a post out of feeds (a check-in's proof, shown in its challenge).
pub async fn set_unlisted(conn: &mut Conn, id: i64) -> crate::Result<()> {
    query("UPDATE posts SET unlisted = 1 WHERE id = $1").bind(id).execute(conn).await?;
    Ok(())
}

/// Who wrote a post or comment (deleted ones too), for subscribers that
/// credit the author of what an event is about.
pub async fn author_of(conn: &mut Conn, s: yaji_domain::activity::Subject) -> crate::Result<Option<i64>> {
    use yaji_domain::activity::Subject;
    let sql = match s {
        Subject::Post(_) => "SELECT author_id FROM posts WHERE id = $1",
        Subject::Comment(_) => "SELECT author_id FROM comments WHERE id = $1",
        _ => return Ok(None),
    };
    query_scalar(sql).bind(s.id()).fetch_optional(conn).await
}

pub async fn post(conn: &mut Conn, id: i64) -> crate::Result<Option<PostRow>> {
    query_as(&format!("{POST_SELECT} WHERE p.id = $1")).bind(id).fetch_optional(conn).await
}

/// Columns for lists: the body is left out (feeds show the excerpt).
const POST_LIST: &str = "SELECT p.id, p.community_id, p.author_id, u.username AS author_username, u.display_name AS author_display_name,
    u.avatar_url AS author_avatar_url, p.topic_id, t.name AS topic_name, t.read_min_level AS topic_read_min_level, t.read_tag AS topic_read_tag, p.title, p.excerpt, p.pinned, p.essence, p.comment_count, p.reaction_count, p.created_at, p.edited_at, p.deleted_at, p.moderation,
    CAST(CASE WHEN q.post_id IS NULL THEN 0 ELSE 1 END AS BIGINT) AS question, q.accepted_comment_id, q.bounty
    FROM posts p JOIN users u ON u.id = p.author_id LEFT JOIN topics t ON t.id = p.topic_id
    LEFT JOIN questions q ON q.post_id = p.id";

/// The newest visible posts of the communities `user_id` is an active member
/// of, before the cursor (`at`, `id`), newest first.
pub async fn home_feed(conn: &mut Conn, user_id: i64, at: i64, id: i64, limit: i64) -> crate::Result<Vec<PostRow>> {
    query_as(&format!(
        "{POST_LIST} JOIN memberships m ON m.community_id = p.community_id AND m.user_id = $1 AND m.state = 'active'
         WHERE p.deleted_at IS NULL AND p.moderation = 'visible' AND p.unlisted = 0 AND (p.created_at < $2 OR (p.created_at = $2 AND p.id < $3))
         ORDER BY p.created_at DESC, p.id DESC LIMIT $4"
    ))
    .binds((user_id, at, id, limit))
    .fetch_all(conn)
    .await
}

/// A person's most recent visible posts, wherever they wrote them (the caller
/// keeps those the reader may see).
pub async fn recent_by_author(conn: &mut Conn, author_id: i64, limit: i64) -> crate::Result<Vec<PostRow>> {
    query_as(&format!(
        "{POST_LIST} WHERE p.author_id = $1 AND p.deleted_at IS NULL AND p.moderation = 'visible' AND p.unlisted = 0
         ORDER BY p.created_at DESC, p.id DESC LIMIT $2"
    ))
    .binds((author_id, limit))
    .fetch_all(conn)
    .await
}

/// One page of a feed, newest first, keyset-paginated on (created_at, id).
pub async fn feed(
    conn: &mut Conn,
    community_id: i64,
    feed: &Feed,
    before: Option<Cursor>,
    limit: i64,
) -> crate::Result<Vec<PostRow>> {
    let topic = match feed {
        Feed::Topic(t) => Some(*t),
        _ => None,
    };
    let (at, id) = before.map_or((i64::MAX, i64::MAX), |c| (c.at, c.id));
    query_as(&feed_sql(feed)).bind(community_id).bind(topic).bind(at).bind(id).bind(limit).fetch_all(conn).await
}

/// The feed statement: $1 community, $2 topic (or NULL), $3/$4 the cursor, $5 the limit.
pub fn feed_sql(feed: &Feed) -> String {
    let filter = match feed {
        Feed::Latest => "p.community_id = $1",
        Feed::Essence => "p.community_id = $1 AND p.essence = 1",
        Feed::Topic(_) => "p.community_id = $1 AND p.topic_id = $2",
        Feed::Questions(Answered::All) => "p.community_id = $1 AND q.post_id IS NOT NULL",
        Feed::Questions(Answered::Unanswered) => {
            "p.community_id = $1 AND q.post_id IS NOT NULL AND q.accepted_comment_id IS NULL"
        }
        Feed::Questions(Answered::Answered) => "p.community_id = $1 AND q.accepted_comment_id IS NOT NULL",
    };
    // A plain SELECT: measured twice as fast as folding the pinned posts into
    // the same statement with UNION ALL (docs/benchmarks.md).
    format!(
        "{POST_LIST} WHERE {filter} AND ($2 IS NULL OR $2 IS NOT NULL) AND p.deleted_at IS NULL AND p.moderation = 'visible' AND p.unlisted = 0
           AND (p.created_at < $3 OR (p.created_at = $3 AND p.id < $4))
         ORDER BY p.created_at DESC, p.id DESC LIMIT $5"
    )
}

/// Pinned posts of a community (at most 5), newest first.
pub async fn pinned(conn: &mut Conn, community_id: i64) -> crate::Result<Vec<PostRow>> {
    query_as(&format!(
        "{POST_LIST} WHERE p.community_id = $1 AND p.pinned = 1 AND p.deleted_at IS NULL AND p.moderation = 'visible' ORDER BY p.created_at DESC, p.id DESC LIMIT 5"
    ))
    .bind(community_id)
    .fetch_all(conn)
    .await
}

pub struct PostEdit<'a> {
    pub title: Option<&'a str>,
    pub body: &'a str,
    pub body_html: &'a str,
    pub excerpt: &'a str,
    pub topic_id: Option<i64>,
}

pub async fn update_post(conn: &mut Conn, id: i64, e: &PostEdit<'_>, now: i64) -> crate::Result<()> {
    query("UPDATE posts SET title = $1, body = $2, body_html = $3, excerpt = $4, topic_id = $5, edited_at = $6 WHERE id = $7")
        .binds((e.title, e.body, e.body_html, e.excerpt, e.topic_id, now, id))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn insert_revision(
    conn: &mut Conn,
    post_id: i64,
    title: Option<&str>,
    body: &str,
    by: i64,
    now: i64,
) -> crate::Result<()> {
    query("INSERT INTO post_revisions (post_id, title, body, edited_by, created_at) VALUES ($1, $2, $3, $4, $5)")
        .binds((post_id, title, body, by, now))
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct RevisionRow {
    pub id: i64,
    pub title: Option<String>,
    pub body: String,
    pub edited_by: i64,
    pub created_at: i64,
}

pub async fn revisions(conn: &mut Conn, post_id: i64) -> crate::Result<Vec<RevisionRow>> {
    query_as("SELECT id, title, body, edited_by, created_at FROM post_revisions WHERE post_id = $1 ORDER BY id DESC")
        .bind(post_id)
        .fetch_all(conn)
        .await
}

/// Sets a 0/1 flag column (`pinned`, `essence`) and reports whether it changed.
pub async fn set_flag(conn: &mut Conn, id: i64, column: PostFlag, on: bool) -> crate::Result<bool> {
    let col = match column {
        PostFlag::Pinned => "pinned",
        PostFlag::Essence => "essence",
    };
    let r = query(&format!("UPDATE posts SET {col} = $1 WHERE id = $2 AND {col} <> $1 AND deleted_at IS NULL"))
        .binds((on as i64, id))
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

#[derive(Debug, Clone, Copy)]
pub enum PostFlag {
    Pinned,
    Essence,
}

pub async fn soft_delete_post(conn: &mut Conn, id: i64, now: i64) -> crate::Result<bool> {
    let r = query("UPDATE posts SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL")
        .binds((now, id))
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn add_comment_count(conn: &mut Conn, post_id: i64, delta: i64) -> crate::Result<()> {
    query("UPDATE posts SET comment_count = comment_count + $1 WHERE id = $2")
        .binds((delta, post_id))
        .execute(conn)
        .await?;
    Ok(())
}

// ---- comments ----

#[derive(Debug, Clone, serde::Deserialize)]
pub struct CommentRow {
    pub id: i64,
    pub post_id: i64,
    pub community_id: i64,
    pub author_id: i64,
    pub author_username: String,
    pub author_display_name: String,
    pub author_avatar_url: Option<String>,
    pub body: String,
    pub body_html: String,
    pub created_at: i64,
    pub deleted_at: Option<i64>,
    pub moderation: ContentState,
    /// The top-level comment this one replies under (threads are one level deep).
    pub parent_id: Option<i64>,
    pub reaction_count: i64,
}

const COMMENT_SELECT: &str = "SELECT c.id, c.post_id, c.community_id, c.author_id, u.username AS author_username,
    u.display_name AS author_display_name, u.avatar_url AS author_avatar_url, c.body, c.body_html, c.created_at, c.deleted_at, c.moderation,
    c.parent_id, c.reaction_count
    FROM comments c JOIN users u ON u.id = c.author_id";

pub struct NewComment<'a> {
    pub post_id: i64,
    pub community_id: i64,
    pub author_id: i64,
    pub body: &'a str,
    pub body_html: &'a str,
    pub created_at: i64,
    /// As decided by moderation.
    pub moderation: ContentState,
    /// The top-level comment it replies under.
    pub parent_id: Option<i64>,
}

pub async fn insert_comment(conn: &mut Conn, c: &NewComment<'_>) -> crate::Result<i64> {
    let q = query_scalar(
        "INSERT INTO comments (post_id, community_id, author_id, body, body_html, created_at, moderation, parent_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .binds((c.post_id, c.community_id, c.author_id, c.body, c.body_html, c.created_at))
    .bind(c.moderation.as_str())
    .bind(c.parent_id);
    q.fetch_one(conn).await
}

pub async fn comment(conn: &mut Conn, id: i64) -> crate::Result<Option<CommentRow>> {
    query_as(&format!("{COMMENT_SELECT} WHERE c.id = $1")).bind(id).fetch_optional(conn).await
}

/// Comments of a post in reading order (oldest first), deleted ones excluded.
/// Comments of a post in order. Withheld comments are shown to moderators
/// (`all_states`) and to their own author (`viewer`).
/// A post's comments in reading order, after `after` (time, id) when given.
pub async fn comments(
    conn: &mut Conn,
    post_id: i64,
    after: Option<(i64, i64)>,
    limit: i64,
    all_states: bool,
    viewer: Option<i64>,
) -> crate::Result<Vec<CommentRow>> {
    let (at, id) = after.unwrap_or((i64::MIN, i64::MIN));
    query_as(&format!(
        "{COMMENT_SELECT} WHERE c.post_id = $1 AND c.deleted_at IS NULL
           AND (c.moderation = 'visible' OR $3 = 1 OR c.author_id = $4)
           AND (c.created_at > $5 OR (c.created_at = $5 AND c.id > $6))
         ORDER BY c.created_at, c.id LIMIT $2"
    ))
    .binds((post_id, limit, i64::from(all_states), viewer.unwrap_or(-1), at, id))
    .fetch_all(conn)
    .await
}

pub async fn soft_delete_comment(conn: &mut Conn, id: i64, now: i64) -> crate::Result<bool> {
    let r = query("UPDATE comments SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL")
        .binds((now, id))
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

// ---- reactions ----

/// Adds a reaction; false if this user already reacted with this emoji.
pub async fn add_reaction(conn: &mut Conn, post_id: i64, user_id: i64, emoji: &str, now: i64) -> crate::Result<bool> {
    let r = query(
        "INSERT INTO reactions (post_id, user_id, emoji, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (post_id, user_id, emoji) DO NOTHING",
    )
    .binds((post_id, user_id, emoji, now))
    .execute(&mut *conn)
    .await?;
    if r.rows_affected() == 1 {
        query("UPDATE posts SET reaction_count = reaction_count + 1 WHERE id = $1").bind(post_id).execute(conn).await?;
        return Ok(true);
    }
    Ok(false)
}

pub async fn remove_reaction(conn: &mut Conn, post_id: i64, user_id: i64, emoji: &str) -> crate::Result<bool> {
    let r = query("DELETE FROM reactions WHERE post_id = $1 AND user_id = $2 AND emoji = $3")
        .binds((post_id, user_id, emoji))
        .execute(&mut *conn)
        .await?;
    if r.rows_affected() == 1 {
        query("UPDATE posts SET reaction_count = reaction_count - 1 WHERE id = $1").bind(post_id).execute(conn).await?;
        return Ok(true);
    }
    Ok(false)
}

/// Adds a reaction to a comment; false if this user already reacted with this emoji.
pub async fn add_comment_reaction(
    conn: &mut Conn,
    comment: (i64, i64),
    user_id: i64,
    emoji: &str,
    now: i64,
) -> crate::Result<bool> {
    let (comment_id, post_id) = comment;
    let r = query(
        "INSERT INTO comment_reactions (comment_id, post_id, user_id, emoji, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (comment_id, user_id, emoji) DO NOTHING",
    )
    .binds((comment_id, post_id, user_id, emoji, now))
    .execute(&mut *conn)
    .await?;
    let added = r.rows_affected() == 1;
    if added {
        query("UPDATE comments SET reaction_count = reaction_count + 1 WHERE id = $1")
            .bind(comment_id)
            .execute(conn)
            .await?;
    }
    Ok(added)
}

pub async fn remove_comment_reaction(
    conn: &mut Conn,
    comment_id: i64,
    user_id: i64,
    emoji: &str,
) -> crate::Result<bool> {
    let r = query("DELETE FROM comment_reactions WHERE comment_id = $1 AND user_id = $2 AND emoji = $3")
        .binds((comment_id, user_id, emoji))
        .execute(&mut *conn)
        .await?;
    let removed = r.rows_affected() == 1;
    if removed {
        query("UPDATE comments SET reaction_count = reaction_count - 1 WHERE id = $1")
            .bind(comment_id)
            .execute(conn)
            .await?;
    }
    Ok(removed)
}

/// Reaction counts per (comment, emoji) over a post's comments, and whether `viewer` used each.
pub async fn comment_reaction_summary(
    conn: &mut Conn,
    post_id: i64,
    viewer: Option<i64>,
) -> crate::Result<Vec<(i64, String, i64, i64)>> {
    query_as(
        "SELECT comment_id, emoji, COUNT(*) AS n, SUM(CASE WHEN user_id = $2 THEN 1 ELSE 0 END) AS mine \
         FROM comment_reactions WHERE post_id = $1 GROUP BY comment_id, emoji",
    )
    .binds((post_id, viewer.unwrap_or(-1)))
    .fetch_all(conn)
    .await
}

/// Reaction counts per emoji on a post, and whether `viewer` used each.
pub async fn reaction_summary(
    conn: &mut Conn,
    post_id: i64,
    viewer: Option<i64>,
) -> crate::Result<Vec<(String, i64, i64)>> {
    query_as(
        "SELECT emoji, COUNT(*) AS n, SUM(CASE WHEN user_id = $2 THEN 1 ELSE 0 END) AS mine FROM reactions WHERE post_id = $1 GROUP BY emoji",
    )
    .binds((post_id, viewer.unwrap_or(-1)))
    .fetch_all(conn)
    .await
}
