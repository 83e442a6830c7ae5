use crate::sql::{query, query_as, query_scalar, Conn};

#[derive(Debug, Clone, serde::Deserialize)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub avatar_url: Option<String>,
    pub bio: String,
    pub locale: String,
    pub time_zone: String,
    pub is_site_admin: i64,
    pub created_at: i64,
    /// A light account: no password yet, signs in by emailed links.
    pub light: i64,
}

const USER_COLS_U: &str = "u.id, u.username, u.display_name, u.password_hash, u.avatar_url, u.bio, u.locale, u.time_zone, u.is_site_admin, u.created_at, u.light";

const USER_COLS: &str =
    "id, username, display_name, password_hash, avatar_url, bio, locale, time_zone, is_site_admin, created_at, light";

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub locale: &'a str,
    pub time_zone: &'a str,
    pub is_site_admin: bool,
    pub created_at: i64,
}

pub async fn insert(conn: &mut Conn, u: &NewUser<'_>) -> crate::Result<i64> {
    let q = query_scalar(
        "INSERT INTO users (username, display_name, password_hash, locale, time_zone, is_site_admin, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .binds((u.username, u.display_name, u.password_hash, u.locale, u.time_zone, u.is_site_admin as i64))
    .bind(u.created_at);
    q.fetch_one(conn).await
}

pub async fn by_id(conn: &mut Conn, id: i64) -> crate::Result<Option<UserRow>> {
    query_as(&format!("SELECT {USER_COLS} FROM users WHERE id = $1")).bind(id).fetch_optional(conn).await
}

pub async fn by_username(conn: &mut Conn, username: &str) -> crate::Result<Option<UserRow>> {
    query_as(&format!("SELECT {USER_COLS} FROM users WHERE username = $1")).bind(username).fetch_optional(conn).await
}

/// Whether any person's account exists (first-user bootstrap; the assistant does not count).
pub async fn any_user(conn: &mut Conn) -> crate::Result<bool> {
    Ok(query_scalar::<i64>("SELECT id FROM users WHERE username <> $1 LIMIT 1")
        .bind(ASSISTANT_USERNAME)
        .fetch_optional(conn)
        .await?
        .is_some())
}

/// The assistant's account: a name no sign-up can take (':' is not allowed in
/// usernames) and a password hash nothing verifies against.
pub const ASSISTANT_USERNAME: &str = "yaji:assistant";

/// The assistant's user id, creating its account on first use.
pub async fn assistant(conn: &mut Conn, now: i64) -> crate::Result<i64> {
    query(
        "INSERT INTO users (username, display_name, password_hash, created_at) VALUES ($1, $2, '!', $3)
         ON CONFLICT (username) DO NOTHING",
    )
    .binds((ASSISTANT_USERNAME, "雅集助手 Assistant", now))
    .execute(&mut *conn)
    .await?;
    query_scalar("SELECT id FROM users WHERE username = $1").bind(ASSISTANT_USERNAME).fetch_one(conn).await
}

/// The assistant's user id if its account exists (read-only).
pub async fn find_assistant(conn: &mut Conn) -> crate::Result<Option<i64>> {
    query_scalar("SELECT id FROM users WHERE username = $1").bind(ASSISTANT_USERNAME).fetch_optional(conn).await
}

/// Whether a site administrator exists (index `users_admins`).
pub async fn any_admin(conn: &mut Conn) -> crate::Result<bool> {
    Ok(query_scalar::<i64>("SELECT id FROM users WHERE is_site_admin = 1 LIMIT 1")
        .fetch_optional(conn)
        .await?
        .is_some())
}

pub async fn set_site_admin(conn: &mut Conn, id: i64, admin: bool) -> crate::Result<()> {
    query("UPDATE users SET is_site_admin = $1 WHERE id = $2").bind(admin as i64).bind(id).execute(conn).await?;
    Ok(())
}

pub async fn set_password(conn: &mut Conn, id: i64, hash: &str) -> crate::Result<()> {
    query("UPDATE users SET password_hash = $1 WHERE id = $2").bind(hash).bind(id).execute(conn).await?;
    Ok(())
}

pub async fn update_profile(conn: &mut Conn, id: i64, p: &yaji_domain::user::Profile) -> crate::Result<()> {
    query("UPDATE users SET display_name = $1, avatar_url = $2, bio = $3, locale = $4, time_zone = $5 WHERE id = $6")
        .binds((&p.display_name, &p.avatar_url, &p.bio, &p.locale, &p.time_zone, id))
        .execute(conn)
        .await?;
    Ok(())
}

// ---- sessions ----

pub async fn insert_session(
    conn: &mut Conn,
    token_hash: &str,
    user_id: i64,
    csrf: &str,
    now: i64,
    expires_at: i64,
) -> crate::Result<()> {
    query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .binds((token_hash, user_id, csrf, now, expires_at))
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct SessionRow {
    pub csrf_token: String,
    pub expires_at: i64,
    #[serde(flatten)]
    pub user: UserRow,
}

pub async fn session(conn: &mut Conn, token_hash: &str, now: i64) -> crate::Result<Option<SessionRow>> {
    query_as(&format!(
        "SELECT s.csrf_token, s.expires_at, {USER_COLS_U} FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2"
    ))
        .binds((token_hash, now))
        .fetch_optional(conn)
        .await
}

pub async fn delete_session(conn: &mut Conn, token_hash: &str) -> crate::Result<()> {
    query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(conn).await?;
    Ok(())
}

/// Ends every session of a user except `keep` (the caller's own, by hash).
pub async fn delete_sessions_of(conn: &mut Conn, user_id: i64, keep: Option<&str>) -> crate::Result<u64> {
    let q = query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2").binds((user_id, keep.unwrap_or("")));
    Ok(q.execute(conn).await?.rows_affected())
}

/// How many live sessions a user has besides `keep`.
pub async fn other_sessions(conn: &mut Conn, user_id: i64, keep: Option<&str>, now: i64) -> crate::Result<i64> {
    query_scalar("SELECT COUNT(*) FROM sessions WHERE user_id = $1 AND token_hash <> $2 AND expires_at > $3")
        .binds((user_id, keep.unwrap_or(""), now))
        .fetch_one(conn)
        .await
}

/// Revokes every live API token of a user.
pub async fn revoke_tokens_of(conn: &mut Conn, user_id: i64, now: i64) -> crate::Result<u64> {
    let q =
        query("UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL").binds((user_id, now));
    Ok(q.execute(conn).await?.rows_affected())
}

pub async fn delete_expired_sessions(conn: &mut Conn, now: i64) -> crate::Result<u64> {
    Ok(query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(conn).await?.rows_affected())
}

// ---- API tokens ----

#[derive(Debug, Clone, serde::Deserialize)]
pub struct TokenRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

pub async fn insert_token(conn: &mut Conn, user_id: i64, name: &str, token_hash: &str, now: i64) -> crate::Result<i64> {
    let q = query_scalar(
        "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .binds((user_id, name, token_hash))
    .bind(now);
    q.fetch_one(conn).await
}

/// The user behind a live API token, in one round trip.
pub async fn token_user(conn: &mut Conn, token_hash: &str) -> crate::Result<Option<TokenUserRow>> {
    query_as(&format!(
        "SELECT k.id AS token_id, k.last_used_at, {} FROM api_tokens k JOIN users u ON u.id = k.user_id
         WHERE k.token_hash = $1 AND k.revoked_at IS NULL",
        USER_COLS_U
    ))
    .bind(token_hash)
    .fetch_optional(conn)
    .await
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct TokenUserRow {
    pub token_id: i64,
    pub last_used_at: Option<i64>,
    #[serde(flatten)]
    pub user: UserRow,
}

/// Records that a token was used (callers rate-limit this to once a minute).
pub async fn touch_token(conn: &mut Conn, id: i64, now: i64) -> crate::Result<()> {
    query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2").bind(now).bind(id).execute(conn).await?;
    Ok(())
}

pub async fn tokens(conn: &mut Conn, user_id: i64) -> crate::Result<Vec<TokenRow>> {
    query_as(
        "SELECT id, user_id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id DESC",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await
}

pub async fn revoke_token(conn: &mut Conn, user_id: i64, id: i64, now: i64) -> crate::Result<bool> {
    let r = query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
        .binds((now, id, user_id))
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

// ---- Light accounts and sign-in links ----

/// A light account: a visitor's name and email, no password.
pub async fn insert_light(
    conn: &mut Conn,
    (username, display_name, email): (&str, &str, &str),
    locale: &str,
    now: i64,
) -> crate::Result<i64> {
    query_scalar(
        "INSERT INTO users (username, display_name, password_hash, locale, email, light, created_at)
         VALUES ($1, $2, '!', $3, $4, 1, $5) RETURNING id",
    )
    .binds((username, display_name, locale, email))
    .bind(now)
    .fetch_one(conn)
    .await
}

/// The account that has `email` (compared without case), oldest first.
pub async fn by_email(conn: &mut Conn, email: &str) -> crate::Result<Option<UserRow>> {
    query_as(&format!("SELECT {USER_COLS} FROM users WHERE LOWER(email) = $1 ORDER BY id LIMIT 1"))
        .bind(email.to_lowercase())
        .fetch_optional(conn)
        .await
}

/// Turns a light account into a full one: its chosen name and password.
pub async fn complete_light(conn: &mut Conn, id: i64, username: &str, password_hash: &str) -> crate::Result<u64> {
    let q = query("UPDATE users SET username = $1, password_hash = $2, light = 0 WHERE id = $3 AND light = 1").binds((
        username,
        password_hash,
        id,
    ));
    Ok(q.execute(conn).await?.rows_affected())
}

pub async fn insert_sign_in_link(
    conn: &mut Conn,
    token_hash: &str,
    user_id: i64,
    now: i64,
    expires_at: i64,
) -> crate::Result<()> {
    query("INSERT INTO sign_in_links (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .binds((token_hash, user_id, now, expires_at))
        .execute(conn)
        .await?;
    Ok(())
}

/// Uses a sign-in link once: the user it signs in, if it is live and unused
/// (a second use, racing or late, gets nothing).
pub async fn use_sign_in_link(conn: &mut Conn, token_hash: &str, now: i64) -> crate::Result<Option<i64>> {
    query_scalar(
        "UPDATE sign_in_links SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
         RETURNING user_id",
    )
    .binds((token_hash, now))
    .fetch_optional(conn)
    .await
}

/// Sign-in links sent to a user since `since` (a per-account limit).
pub async fn sign_in_links_since(conn: &mut Conn, user_id: i64, since: i64) -> crate::Result<i64> {
    query_scalar("SELECT COUNT(*) FROM sign_in_links WHERE user_id = $1 AND created_at >= $2")
        .binds((user_id, since))
        .fetch_one(conn)
        .await
}
