//! Accounts: registration, login sessions, API tokens, profiles; light
//! accounts (a visitor's name and email) in `light`.

mod light;
pub(crate) use light::insert_light;
pub use light::LightInput;

use std::sync::Arc;
use std::time::Instant;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use yaji_domain::activity::{ApiTokenCreated, Event, Kind, ProfileUpdated, Subject};
use yaji_domain::error::invalid;
use yaji_domain::text;
use yaji_domain::user::{NewPassword, Profile, ProfileInput, Username};
use yaji_store::repo::user as users;

use crate::throttle::{FAILED_LOGIN_PER_IP, FAILED_PASSWORD_CHECK, LOGIN_BACKOFF, SIGNUP_PER_EVENT, SIGNUP_PER_IP};
use crate::views::{NewToken, TokenView, UserView};
use crate::{finish, now, App, AppError, AppResult, HashCost};

pub use crate::platform::context::Viewer;

impl UserView {
    pub fn viewer(&self) -> Viewer {
        Viewer { id: self.id, site_admin: self.is_site_admin }
    }
}

pub struct Registration<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub display_name: &'a str,
    pub locale: &'a str,
    pub time_zone: &'a str,
}

/// A fresh login session: the cookie value (secret) and its CSRF token.
pub struct Session {
    pub user: UserView,
    pub token: String,
    pub csrf: String,
    pub max_age_secs: i64,
}

pub(crate) fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// Secrets are stored only as SHA-256: a leaked database holds no usable token.
pub(crate) fn token_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn argon2(cost: HashCost) -> Argon2<'static> {
    let params = match cost {
        HashCost::Standard => Params::new(19 * 1024, 2, 1, None),
        HashCost::Fast => Params::new(256, 1, 1, None),
    }
    .expect("valid argon2 params");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password with argon2id on a blocking thread.
pub async fn hash_password(password: String, cost: HashCost) -> AppResult<String> {
    tokio::task::spawn_blocking(move || {
        let salt =
            SaltString::encode_b64(random_token(16).as_bytes()).map_err(|e| AppError::Internal(e.to_string()))?;
        argon2(cost)
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(e.to_string()))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
}

async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A valid argon2id hash of a random password, so that logging in as an
/// unknown user costs the same time as a wrong password.
static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

impl App {
    /// Registers a user. The very first account of a site becomes its administrator.
    pub async fn register(&self, r: Registration<'_>, client: &str) -> AppResult<UserView> {
        self.register_with_pass(r, client, None).await
    }

    /// Registers a user; with a gathering's door pass (`ID-CODE`, from the
    /// organizer's sign-up link) the sign-up counts against that gathering's
    /// budget instead of the address's, so fifty newcomers on one venue
    /// Wi-Fi get in while scripts without a pass stay at 20 an hour.
    pub async fn register_with_pass(
        &self,
        r: Registration<'_>,
        client: &str,
        pass: Option<&str>,
    ) -> AppResult<UserView> {
        let (key, limit) = match pass.map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => {
                let mut c = self.db.read().await?;
                let event = crate::gatherings::pass::signup_pass(&mut c, p, now()).await?.ok_or_else(|| {
                    invalid("event_pass", "invalid_pass", "this sign-up link is not valid any more; ask the organizer")
                })?;
                (format!("signup-event:{event}"), &SIGNUP_PER_EVENT)
            }
            None => (format!("signup:{client}"), &SIGNUP_PER_IP),
        };
        if let Err(s) = self.throttle.take(&key, limit, Instant::now()) {
            return Err(AppError::RateLimited { retry_after_secs: s });
        }
        // A sign-up refused for its input (a taken name) does not use the budget.
        let user = self.create_user(r, false).await.inspect_err(|_| self.throttle.give_back(&key))?;
        Ok(user)
    }

    /// Creates a user (sign-up, or the admin CLI with `site_admin`).
    pub async fn create_user(&self, r: Registration<'_>, site_admin: bool) -> AppResult<UserView> {
        let username = Username::parse(r.username)?;
        let password = NewPassword::parse(r.password)?;
        let display_name = match r.display_name.trim() {
            "" => username.as_str().to_string(),
            d => text::required_line("display_name", d, text::MAX_NAME_CHARS)?,
        };
        let locale = if r.locale.trim().is_empty() { "zh-CN".to_string() } else { text::locale("locale", r.locale)? };
        let time_zone = if r.time_zone.trim().is_empty() {
            "Asia/Shanghai".to_string()
        } else {
            text::time_zone("time_zone", r.time_zone)?
        };
        let hash = hash_password(password.expose().to_string(), self.cfg.hash_cost).await?;
        let now = now();
        let mut tx = self.db.write().await?;
        let first = !users::any_user(tx.conn()).await?;
        let new = users::NewUser {
            username: username.as_str(),
            display_name: &display_name,
            password_hash: &hash,
            locale: &locale,
            time_zone: &time_zone,
            is_site_admin: site_admin || first,
            created_at: now,
        };
        let id = match users::insert(tx.conn(), &new).await {
            Ok(id) => id,
            Err(e) if e.is_unique_violation() => {
                return Err(AppError::conflict("username_taken", Some("username"), "this username is taken"))
            }
            Err(e) => return Err(e.into()),
        };
        let user = users::by_id(tx.conn(), id).await?.ok_or(AppError::NotFound("user"))?;
        finish(tx, Event::new(Kind::UserRegistered, None, id, Subject::User(id)), now).await?;
        Ok(user.into())
    }

    /// Grants site administration to an existing user (admin CLI).
    pub async fn make_site_admin(&self, username: &str) -> AppResult<UserView> {
        let username = Username::parse(username)?;
        let mut tx = self.db.write().await?;
        let u = users::by_username(tx.conn(), username.as_str()).await?.ok_or(AppError::NotFound("user"))?;
        users::set_site_admin(tx.conn(), u.id, true).await?;
        let ev = Event::of(
            None,
            u.id,
            Subject::User(u.id),
            &ProfileUpdated { site_admin: Some(true), ..Default::default() },
        );
        finish(tx, ev, now()).await?;
        self.user(u.id).await
    }

    /// The one-time token `/setup` asks for while the site has no
    /// administrator. Whoever can read the server's console or log owns the
    /// server; a visitor who merely finds an unset-up site cannot claim it.
    pub fn setup_token(&self) -> &str {
        &self.setup_token
    }

    /// First-run setup: creates the site administrator, given the setup token.
    pub async fn set_up_site(&self, r: Registration<'_>, setup_token: &str) -> AppResult<UserView> {
        if !self.needs_setup().await? {
            return Err(AppError::conflict("already_set_up", None, "this site already has an administrator"));
        }
        // Compared as hashes: the time taken says nothing about the token.
        if token_hash(setup_token.trim()) != token_hash(&self.setup_token) {
            let msg = "enter the setup token printed in the server's console and log at start";
            return Err(invalid("setup_token", "invalid_setup_token", msg).into());
        }
        self.create_user(r, true).await
    }

    /// Whether the site still needs its administrator (no admin account yet).
    pub async fn needs_setup(&self) -> AppResult<bool> {
        let mut c = self.db.read().await?;
        Ok(!users::any_admin(&mut c).await?)
    }

    pub async fn user(&self, id: i64) -> AppResult<UserView> {
        let mut c = self.db.read().await?;
        Ok(users::by_id(&mut c, id).await?.ok_or(AppError::NotFound("user"))?.into())
    }

    /// Checks credentials and opens a session. Unknown users and wrong
    /// passwords get the same error after the same work.
    pub async fn login(&self, username: &str, password: &str, client: &str) -> AppResult<Session> {
        let now_i = Instant::now();
        let ip_key = format!("login-ip:{client}");
        let name = username.trim().to_ascii_lowercase();
        // The pair (account, source): a guesser slows down only themselves.
        let pair_key = format!("login:{name}@{client}");
        let wait = self.throttle.blocked(&ip_key, &FAILED_LOGIN_PER_IP, now_i);
        if let Some(s) = wait.or_else(|| self.backoff.wait(&pair_key, &LOGIN_BACKOFF, now_i)) {
            return Err(AppError::RateLimited { retry_after_secs: s });
        }
        // A name that cannot exist is looked up as nobody (same answer, same work).
        let row = match Username::parse(&name) {
            Ok(u) => {
                let mut c = self.db.read().await?;
                users::by_username(&mut c, u.as_str()).await?
            }
            Err(_) => None,
        };
        let hash = match row.as_ref().filter(|u| u.light == 0) {
            Some(u) => u.password_hash.clone(),
            // Nobody, or a light account (no password): the same work, then no.
            None => match DUMMY_HASH.get() {
                Some(h) => h.clone(),
                None => {
                    let h = hash_password(random_token(24), HashCost::Standard).await?;
                    DUMMY_HASH.get_or_init(|| h).clone()
                }
            },
        };
        let ok = verify_password(password.to_string(), hash).await;
        let Some(user) = row.filter(|u| ok && u.light == 0) else {
            self.throttle.hit(&ip_key, &FAILED_LOGIN_PER_IP, now_i);
            self.backoff.fail(&pair_key, &LOGIN_BACKOFF, now_i);
            return Err(AppError::BadCredentials);
        };
        self.backoff.clear(&pair_key);
        // Sessions are not community activity; they are written without an event.
        let mut tx = self.db.write().await?;
        let s = self.session_in(tx.conn(), user.into(), now()).await?;
        tx.commit().await?;
        Ok(s)
    }

    /// Opens a session for `user` in the caller's transaction.
    pub(crate) async fn session_in(&self, conn: &mut yaji_store::Conn, user: UserView, now: i64) -> AppResult<Session> {
        let token = random_token(32);
        let csrf = random_token(24);
        let max_age_secs = self.cfg.session_days * 86_400;
        users::insert_session(conn, &token_hash(&token), user.id, &csrf, now, now + max_age_secs * 1000).await?;
        // Sign-ins are rare next to reads: a good moment to drop expired sessions (indexed).
        users::delete_expired_sessions(conn, now).await?;
        Ok(Session { user, token, csrf, max_age_secs })
    }

    pub async fn logout(&self, session_token: &str) -> AppResult<()> {
        let mut tx = self.db.write().await?;
        users::delete_session(tx.conn(), &token_hash(session_token)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Resolves a session cookie to its user and CSRF token.
    pub async fn session_user(&self, session_token: &str) -> AppResult<Option<(UserView, String)>> {
        let hash = token_hash(session_token);
        let now = now();
        let mut c = self.db.read().await?;
        let generation = self.db.generation(&mut c).await?;
        let s = match self.caches.sessions.get(generation, &hash) {
            Some(s) => Some(s),
            None => {
                let s = users::session(&mut c, &hash, now).await?.map(Arc::new);
                if let Some(s) = &s {
                    self.caches.sessions.put(generation, hash, s.clone());
                }
                s
            }
        };
        // Expiry is a matter of time, not of data: checked on every use.
        Ok(s.filter(|s| s.expires_at > now).map(|s| (s.user.clone().into(), s.csrf_token.clone())))
    }

    /// Resolves a bearer API token to its user.
    pub async fn token_user(&self, secret: &str) -> AppResult<Option<UserView>> {
        let hash = token_hash(secret);
        let mut c = self.db.read().await?;
        let generation = self.db.generation(&mut c).await?;
        let row = match self.caches.tokens.get(generation, &hash) {
            Some(row) => row,
            None => {
                let Some(row) = users::token_user(&mut c, &hash).await?.map(Arc::new) else { return Ok(None) };
                self.caches.tokens.put(generation, hash.clone(), row.clone());
                row
            }
        };
        drop(c);
        // "Last used" is kept to the minute, written off the request path: a
        // busy bot costs one small write a minute, and the request never waits for it.
        let now = now();
        if row.last_used_at.is_none_or(|t| now - t >= crate::platform::MINUTE_MS) {
            // Until that write commits, the cached row says "just used", so
            // the requests in between do not each write it again.
            let mut touched = (*row).clone();
            touched.last_used_at = Some(now);
            self.caches.tokens.put(generation, hash, Arc::new(touched));
            let (db, token_id) = (self.db.clone(), row.token_id);
            tokio::spawn(async move {
                let r = async {
                    let mut tx = db.write().await?;
                    users::touch_token(tx.conn(), token_id, now).await?;
                    tx.commit().await
                }
                .await;
                if let Err(e) = r {
                    tracing::warn!(error = %e, "could not record token use");
                }
            });
        }
        Ok(Some(row.user.clone().into()))
    }

    pub async fn create_token(&self, viewer: Viewer, name: &str) -> AppResult<NewToken> {
        let name = yaji_domain::user::token_name(name)?;
        let secret = format!("yaji_{}", random_token(32));
        let now = now();
        let mut tx = self.db.write().await?;
        let id = users::insert_token(tx.conn(), viewer.id, &name, &token_hash(&secret), now).await?;
        finish(tx, Event::of(None, viewer.id, Subject::Token(id), &ApiTokenCreated { name: name.clone() }), now)
            .await?;
        let token = TokenView { id, name, created_at: crate::rfc3339(now), last_used_at: None, revoked: false };
        Ok(NewToken { token, secret })
    }

    /// `yaji admin create-token`: a token for a user named on the command line.
    pub async fn create_token_for(&self, username: &str, name: &str) -> AppResult<NewToken> {
        let username = Username::parse(username)?;
        let u = {
            let mut c = self.db.read().await?;
            users::by_username(&mut c, username.as_str()).await?.ok_or(AppError::NotFound("user"))?
        };
        self.create_token(Viewer { id: u.id, site_admin: u.is_site_admin == 1 }, name).await
    }

    pub async fn tokens(&self, viewer: Viewer) -> AppResult<Vec<TokenView>> {
        let mut c = self.db.read().await?;
        Ok(users::tokens(&mut c, viewer.id).await?.into_iter().map(Into::into).collect())
    }

    pub async fn revoke_token(&self, viewer: Viewer, id: i64) -> AppResult<()> {
        let now = now();
        let mut tx = self.db.write().await?;
        if !users::revoke_token(tx.conn(), viewer.id, id, now).await? {
            return Err(AppError::NotFound("token"));
        }
        finish(tx, Event::new(Kind::ApiTokenRevoked, None, viewer.id, Subject::Token(id)), now).await
    }

    pub async fn update_profile(&self, viewer: Viewer, input: ProfileInput<'_>) -> AppResult<UserView> {
        let profile = Profile::parse(input)?;
        let now = now();
        let mut tx = self.db.write().await?;
        users::update_profile(tx.conn(), viewer.id, &profile).await?;
        finish(tx, Event::new(Kind::ProfileUpdated, None, viewer.id, Subject::User(viewer.id)), now).await?;
        self.user(viewer.id).await
    }

    /// Sets a new password (admin CLI `reset-password`) and ends every session
    /// and API token of the account: whoever held them must sign in again.
    pub async fn set_password(&self, username: &str, password: &str) -> AppResult<()> {
        let username = Username::parse(username)?;
        let password = NewPassword::parse(password)?;
        let hash = hash_password(password.expose().to_string(), self.cfg.hash_cost).await?;
        let mut tx = self.db.write().await?;
        let u = users::by_username(tx.conn(), username.as_str()).await?.ok_or(AppError::NotFound("user"))?;
        self.replace_password(tx, u.id, &hash, None).await
    }

    /// A member changes their own password, proving the current one. Every
    /// other session and every API token ends; `keep` (the caller's session
    /// token, when the change comes from a browser) stays signed in.
    pub async fn change_password(&self, viewer: Viewer, current: &str, new: &str, keep: Option<&str>) -> AppResult<()> {
        let key = format!("password-change:{}", viewer.id);
        let now_i = Instant::now();
        if let Some(s) = self.throttle.blocked(&key, &FAILED_PASSWORD_CHECK, now_i) {
            return Err(AppError::RateLimited { retry_after_secs: s });
        }
        let password = NewPassword::parse(new).map_err(|e| invalid("new_password", e.code, e.message))?;
        if new == current {
            return Err(invalid(
                "new_password",
                "password_unchanged",
                "choose a password different from the current one",
            )
            .into());
        }
        let row = {
            let mut c = self.db.read().await?;
            users::by_id(&mut c, viewer.id).await?.ok_or(AppError::NotFound("user"))?
        };
        if !verify_password(current.to_string(), row.password_hash).await {
            self.throttle.hit(&key, &FAILED_PASSWORD_CHECK, now_i);
            return Err(invalid("current_password", "wrong_password", "the current password is not right").into());
        }
        self.throttle.clear(&key);
        let hash = hash_password(password.expose().to_string(), self.cfg.hash_cost).await?;
        let tx = self.db.write().await?;
        self.replace_password(tx, viewer.id, &hash, keep.map(token_hash).as_deref()).await
    }

    async fn replace_password(
        &self,
        mut tx: yaji_store::WriteTx,
        user_id: i64,
        hash: &str,
        keep: Option<&str>,
    ) -> AppResult<()> {
        let now = now();
        users::set_password(tx.conn(), user_id, hash).await?;
        users::delete_sessions_of(tx.conn(), user_id, keep).await?;
        users::revoke_tokens_of(tx.conn(), user_id, now).await?;
        let ev = Event::of(
            None,
            user_id,
            Subject::User(user_id),
            &ProfileUpdated { password_changed: Some(true), ..Default::default() },
        );
        finish(tx, ev, now).await
    }

    /// Signs out every other browser: all sessions but `keep` (the caller's).
    /// Returns how many ended.
    pub async fn end_other_sessions(&self, viewer: Viewer, keep: Option<&str>) -> AppResult<u64> {
        let mut tx = self.db.write().await?;
        let n = users::delete_sessions_of(tx.conn(), viewer.id, keep.map(token_hash).as_deref()).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// How many sessions the viewer has besides `keep` (the caller's).
    pub async fn other_sessions(&self, viewer: Viewer, keep: Option<&str>) -> AppResult<i64> {
        let mut c = self.db.read().await?;
        Ok(users::other_sessions(&mut c, viewer.id, keep.map(token_hash).as_deref(), now()).await?)
    }
}

/// A fresh anonymous CSRF token (for the `yaji_csrf` cookie).
pub fn random_csrf() -> String {
    random_token(24)
}
