//! Gated topics: the admins' form, on the community settings page, for who
//! may read and who may post in a topic.

use axum::extract::Path;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use yaji_domain::content::TopicAccess;

use super::form::{field, opt_i64, to, Form};
use super::{Page, WebForm};
use crate::AppState;

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/c/{slug}/topics/{id}/access", post(save))
}

async fn save(page: Page, Path((slug, id)): Path<(String, i64)>, WebForm(f): WebForm<Form>) -> Response {
    let r = async {
        let v = page.auth.require()?;
        let access = TopicAccess {
            read_min_level: opt_i64(&f, "read_min_level")?,
            read_tag: Some(field(&f, "read_tag").to_string()),
            post_min_level: opt_i64(&f, "post_min_level")?,
            post_tag: Some(field(&f, "post_tag").to_string()),
        };
        page.state.app.set_topic_access(v, &slug, id, access).await
    }
    .await;
    match r {
        Ok(_) => to(&format!("{}#topics", super::notice_url(&format!("/c/{slug}/settings"), "topic_access_saved"))),
        Err(e) => page.fail(e),
    }
}
