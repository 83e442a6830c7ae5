//! The organizer's sign-up pass of a gathering, as accounts read it: a crowd
//! at the door signs up through it without the per-address limit. Apart from
//! the use cases so that accounts can ask without importing them.

use yaji_domain::gatherings as domain;
use yaji_store::repo::gatherings as repo;
use yaji_store::Conn;

use crate::AppResult;

/// The gathering an organizer's sign-up pass (`ID-CODE`) opens, while it
/// has not ended more than a day ago (accounts: sign-ups at the door).
pub(crate) async fn signup_pass(conn: &mut Conn, pass: &str, now: i64) -> AppResult<Option<i64>> {
    let Some((id, code)) = pass.trim().split_once('-') else { return Ok(None) };
    let Ok(id) = id.parse::<i64>() else { return Ok(None) };
    let ends = repo::by_signup_code(conn, id, &domain::normalize_code(code)).await?;
    Ok(ends.filter(|e| *e + yaji_domain::DAY_MS > now).map(|_| id))
}
