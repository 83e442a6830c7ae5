//! The assistant's chores, configured the way an operator would: templates
//! switched on and a keyword rule for the moderators.

use super::cast::Cast;
use crate::{App, AppResult};

pub(super) async fn seed(app: &App, cast: &Cast) -> AppResult<()> {
    for key in
        ["welcome", "newcomer_checklist", "weekly_topic", "rules_reminder", "inactivity_nudge", "festival_spring"]
    {
        app.enable_template(cast.owner, cast.slug, key, true).await?;
    }
    let rule = crate::automation::parse_rule(&serde_json::json!({
        "name": "退款问题转给版主",
        "trigger": {"kind": "keyword_matched", "keywords": ["退款", "退费", "refund"]},
        "actions": [
            {"kind": "notify", "message": "{name}，退款问题版主会尽快私信你，请留意通知。"},
            {"kind": "notify_moderators", "message": "{name} 在问退款，请跟进。"}
        ]
    }))?;
    app.save_rule(cast.owner, cast.slug, None, rule, true).await?;
    Ok(())
}
