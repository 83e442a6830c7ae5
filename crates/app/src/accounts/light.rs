//! Light accounts: a visitor registers for a public gathering or books a
//! public room with a name and an email, no username or password to invent.
//! They get a session at once and come back through one-time sign-in links
//! mailed to that address (valid 30 minutes, used once, stored only as a
//! hash); they may finish the account — a username and a password — at any
//! time, which ends every other session.
//!
//! An address that already has an account is refused (409
//! `email_has_account`): its owner signs in, or asks for a link.

use std::time::Instant;

use yaji_domain::activity::{Event, Kind, ProfileUpdated, Subject};
use yaji_domain::text;
use yaji_domain::user::{NewPassword, Username};
use yaji_store::repo::user as users;
use yaji_store::Conn;

use super::{hash_password, random_token, token_hash, Session, Viewer};
use crate::platform::events::record_event;
use crate::throttle::{Limit, LIGHT_PER_IP, SIGN_IN_LINKS_PER_IP};
use crate::views::UserView;
use crate::{finish, now, App, AppError, AppResult};

/// How long a sign-in link works.
const LINK_MINUTES: i64 = 30;
/// Sign-in links one account may be sent per hour.
const LINKS_PER_ACCOUNT_HOUR: i64 = 5;

/// What a visitor gives: a name to show and an address to reach them.
#[derive(Debug, Clone, Default)]
pub struct LightInput<'a> {
    pub display_name: &'a str,
    pub email: &'a str,
    pub locale: &'a str,
}

/// Creates a light account in the caller's transaction (a gathering's
/// visitor registration writes it together with the registration).
pub(crate) async fn insert_light(conn: &mut Conn, input: &LightInput<'_>, now: i64) -> AppResult<UserView> {
    let display_name = text::required_line("display_name", input.display_name, text::MAX_NAME_CHARS)?;
    let email = yaji_domain::email::address(input.email.trim())?.to_lowercase();
    let locale =
        if input.locale.trim().is_empty() { "zh-CN".to_string() } else { text::locale("locale", input.locale)? };
    if users::by_email(conn, &email).await?.is_some() {
        return Err(AppError::conflict(
            "email_has_account",
            Some("email"),
            "this address already has an account: sign in, or ask for a sign-in link",
        ));
    }
    // A name nobody chose; finishing the account replaces it.
    let mut id = None;
    for _ in 0..4 {
        let name = format!("guest-{}", random_name());
        match users::insert_light(conn, (&name, &display_name, &email), &locale, now).await {
            Ok(i) => {
                id = Some(i);
                break;
            }
            Err(e) if e.is_unique_violation() => continue,
            Err(e) => return Err(e.into()),
        }
    }
    let id = id.ok_or_else(|| AppError::Internal("no free guest name".into()))?;
    record_event(conn, &Event::new(Kind::UserRegistered, None, id, Subject::User(id)), now).await?;
    Ok(users::by_id(conn, id).await?.ok_or(AppError::NotFound("user"))?.into())
}

/// Eight lower-case letters and digits without look-alikes.
fn random_name() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    (0..8).map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char).collect()
}

impl App {
    /// Takes one unit of each budget (`key`, limit); none is kept when any is spent.
    pub(crate) fn take_budgets(&self, budgets: &[(String, &'static Limit)]) -> AppResult<()> {
        let now_i = Instant::now();
        for (i, (key, limit)) in budgets.iter().enumerate() {
            if let Err(s) = self.throttle.take(key, limit, now_i) {
                for (k, _) in &budgets[..i] {
                    self.throttle.give_back(k);
                }
                return Err(AppError::RateLimited { retry_after_secs: s });
            }
        }
        Ok(())
    }

    pub(crate) fn give_back_budgets(&self, budgets: &[(String, &'static Limit)]) {
        for (k, _) in budgets {
            self.throttle.give_back(k);
        }
    }

    /// A light account on its own (a visitor about to book a public room),
    /// signed in at once.
    pub async fn light_sign_up(&self, input: LightInput<'_>, client: &str) -> AppResult<Session> {
        let budgets = [(format!("light:{client}"), &LIGHT_PER_IP)];
        self.take_budgets(&budgets)?;
        let r = async {
            let now = now();
            let mut tx = self.db.write().await?;
            let user = insert_light(tx.conn(), &input, now).await?;
            let s = self.session_in(tx.conn(), user, now).await?;
            tx.commit().await?;
            Ok(s)
        }
        .await;
        // Refused input (a taken address) does not use the budget.
        if r.is_err() {
            self.give_back_budgets(&budgets);
        }
        r
    }

    /// Mails a one-time sign-in link to the account that has `email`, if
    /// one does; the answer is the same either way (no one learns from it
    /// whose address is known). `next` is where the link leads after
    /// signing in (a local path).
    pub async fn send_sign_in_link(&self, email: &str, next: Option<&str>, client: &str) -> AppResult<()> {
        let email = yaji_domain::email::address(email.trim())?.to_lowercase();
        let Some(base) = self.public_url() else {
            return Err(AppError::conflict(
                "mail_not_configured",
                Some("email"),
                "this site does not send email: ask the organizer, or sign in with a password",
            ));
        };
        self.take_budgets(&[(format!("sign-in-link:{client}"), &SIGN_IN_LINKS_PER_IP)])?;
        let now = now();
        let mut tx = self.db.write().await?;
        let Some(user) = users::by_email(tx.conn(), &email).await? else {
            tx.commit().await?;
            return Ok(());
        };
        if users::sign_in_links_since(tx.conn(), user.id, now - 3_600_000).await? >= LINKS_PER_ACCOUNT_HOUR {
            tx.commit().await?;
            return Ok(());
        }
        let secret = random_token(32);
        users::insert_sign_in_link(tx.conn(), &token_hash(&secret), user.id, now, now + LINK_MINUTES * 60_000).await?;
        tx.commit().await?;
        let zh = !user.locale.starts_with("en");
        let next = next.filter(|n| n.starts_with('/') && !n.starts_with("//")).unwrap_or("/");
        let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
        let link = format!("{base}/login/link/{secret}?next={next}");
        let (subject, body) = if zh {
            (
                "登录雅集的链接".to_string(),
                format!(
                    "{}，你好：\n\n点击下面的链接登录（{LINK_MINUTES} 分钟内有效，只能用一次）：\n\n{link}\n\n如果不是你本人操作，忽略这封邮件即可。\n",
                    user.display_name
                ),
            )
        } else {
            (
                "Your sign-in link".to_string(),
                format!(
                    "Hello {},\n\nFollow this link to sign in (it works once, for {LINK_MINUTES} minutes):\n\n{link}\n\nIf you did not ask for it, ignore this email.\n",
                    user.display_name
                ),
            )
        };
        self.send_now(&email, &subject, body).await
    }

    /// Signs in with a mailed link: once, while it is fresh.
    pub async fn sign_in_with_link(&self, secret: &str) -> AppResult<Session> {
        let now = now();
        let mut tx = self.db.write().await?;
        let Some(user_id) = users::use_sign_in_link(tx.conn(), &token_hash(secret.trim()), now).await? else {
            tx.commit().await?;
            return Err(AppError::conflict(
                "link_expired",
                None,
                "this sign-in link was used already or is too old: ask for a new one",
            ));
        };
        let user = users::by_id(tx.conn(), user_id).await?.ok_or(AppError::NotFound("user"))?;
        let s = self.session_in(tx.conn(), user.into(), now).await?;
        tx.commit().await?;
        Ok(s)
    }

    /// A light account becomes a full one: a username and a password of the
    /// member's choice. Every other session ends (whoever created the light
    /// account with this address is signed out); `keep` stays.
    pub async fn complete_account(
        &self,
        viewer: Viewer,
        username: &str,
        password: &str,
        keep: Option<&str>,
    ) -> AppResult<UserView> {
        let username = Username::parse(username)?;
        let password = NewPassword::parse(password)?;
        let hash = hash_password(password.expose().to_string(), self.cfg.hash_cost).await?;
        let now = now();
        let mut tx = self.db.write().await?;
        let row = users::by_id(tx.conn(), viewer.id).await?.ok_or(AppError::NotFound("user"))?;
        if row.light == 0 {
            return Err(AppError::conflict("not_light", None, "this account has a password already"));
        }
        match users::complete_light(tx.conn(), viewer.id, username.as_str(), &hash).await {
            Ok(_) => {}
            Err(e) if e.is_unique_violation() => {
                return Err(AppError::conflict("username_taken", Some("username"), "this username is taken"))
            }
            Err(e) => return Err(e.into()),
        }
        users::delete_sessions_of(tx.conn(), viewer.id, keep.map(token_hash).as_deref()).await?;
        users::revoke_tokens_of(tx.conn(), viewer.id, now).await?;
        let ev = Event::of(
            None,
            viewer.id,
            Subject::User(viewer.id),
            &ProfileUpdated { password_changed: Some(true), ..Default::default() },
        );
        finish(tx, ev, now).await?;
        self.user(viewer.id).await
    }
}
