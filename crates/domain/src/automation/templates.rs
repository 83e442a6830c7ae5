//! Built-in rule templates: one click creates an ordinary rule, in the
//! operator's language, that can then be edited like any other.

use chrono::NaiveDate;

use super::{Action, Conditions, RuleDef, Trigger};

/// Template keys, in the order the UI lists them.
pub const KEYS: &[&str] = &[
    "welcome",
    "newcomer_checklist",
    "rules_reminder",
    "weekly_topic",
    "inactivity_nudge",
    "monthly_top",
    "festival_spring",
    "festival_mid_autumn",
    "festival_new_year",
];

/// Spring Festival and Mid-Autumn dates (lunar calendar) for the next years.
const SPRING: &[&str] = &["2026-02-17", "2027-02-06", "2028-01-26", "2029-02-13", "2030-02-03", "2031-01-23"];
const MID_AUTUMN: &[&str] = &["2026-09-25", "2027-09-15", "2028-10-03", "2029-09-22", "2030-09-12", "2031-10-01"];

fn next_date(dates: &[&str], today: NaiveDate) -> String {
    let d = dates
        .iter()
        .filter_map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .find(|d| *d >= today)
        .unwrap_or(today);
    format!("{}T09:00", d.format("%Y-%m-%d"))
}

/// The rule a template creates. `approval` says whether the community admits
/// members by approval (then the welcome listens to approvals, not joins).
pub fn build(key: &str, zh: bool, approval: bool, today: NaiveDate) -> Option<RuleDef> {
    let t = |zh_text: &str, en_text: &str| if zh { zh_text.to_string() } else { en_text.to_string() };
    let post = |title: String, body: String| Action::Post { title, body, reply: false };
    // Private messages go out in each member's language; posts are the operator's.
    let notify = |zh_text: &str, en_text: &str| Action::Notify {
        message: t(zh_text, en_text),
        translations: [("zh-CN".to_string(), zh_text.to_string()), ("en".to_string(), en_text.to_string())].into(),
    };
    let (name, trigger, actions) = match key {
        "welcome" => (
            t("欢迎新成员", "Welcome newcomers"),
            if approval { Trigger::JoinApproved } else { Trigger::MemberJoined },
            vec![
                notify("{name}，欢迎加入{community}！请先读一读群规：{rules_link}，再完成新人任务：{checklist_link}", "Welcome to {community}, {name}! Please read the rules: {rules_link}, then try the newcomer checklist: {checklist_link}"),
                Action::AddTag { tag: t("新人", "newcomer") },
            ],
        ),
        "newcomer_checklist" => (
            t("新人任务完成", "Newcomer checklist completed"),
            Trigger::ChecklistCompleted,
            vec![
                notify("{name}，恭喜完成新人任务！欢迎正式成为{community}的一员。", "Well done, {name}: you finished the newcomer checklist. Welcome to {community} for real!"),
                Action::RemoveTag { tag: t("新人", "newcomer") },
            ],
        ),
        "rules_reminder" => (
            t("每周群规提醒", "Weekly rules reminder"),
            Trigger::Schedule { cron: "0 20 * * 5".into() },
            vec![post(
                t("本周群规提醒", "This week's reminder of the rules"),
                t("周末愉快！提醒大家遵守{community}的群规：友善交流、不发广告、不刷屏。完整群规：{rules_link}", "Have a good weekend! A reminder of {community}'s rules: be kind, no ads, no flooding. The full rules: {rules_link}"),
            )],
        ),
        "weekly_topic" => (
            t("每周话题", "Weekly topic"),
            Trigger::Schedule { cron: "0 9 * * 1".into() },
            vec![post(
                t("每周话题 · {date}", "Weekly topic · {date}"),
                t("新的一周开始了！本周话题：你最近在学什么、读什么、做什么？在评论里分享吧。", "A new week starts! This week's topic: what are you learning, reading or making lately? Share it in the comments."),
            )],
        ),
        "inactivity_nudge" => (
            t("沉默成员提醒", "Nudge quiet members"),
            Trigger::MemberInactive { days: 14 },
            vec![notify("{name}，已经{days_inactive}天没在{community}见到你了，最近大家聊了不少新话题，回来看看吧！", "{name}, we have not seen you in {community} for {days_inactive} days. There is a lot new to catch up on: come and have a look!")],
        ),
        "monthly_top" => (
            t("月度贡献榜", "Top contributors of the month"),
            Trigger::Schedule { cron: "0 9 1 * *".into() },
            vec![post(
                t("{last_month} 月度贡献榜", "Top contributors · {last_month}"),
                t("感谢上个月为{community}贡献最多的成员（按积分，榜单已在月末定格，前三名获得“月度贡献之星”徽章）：\n\n{top_contributors}", "Thank you to last month's top contributors to {community} (by points; the list is frozen as of the month's end, and the top three receive the Top contributor badge):\n\n{top_contributors}"),
            )],
        ),
        "festival_spring" => (
            t("春节祝福", "Spring Festival greetings"),
            Trigger::Date { at: next_date(SPRING, today) },
            vec![post(t("新春快乐", "Happy Spring Festival"), t("{community}祝大家新春快乐，万事如意！", "{community} wishes everyone a happy Spring Festival!"))],
        ),
        "festival_mid_autumn" => (
            t("中秋祝福", "Mid-Autumn greetings"),
            Trigger::Date { at: next_date(MID_AUTUMN, today) },
            vec![post(t("中秋快乐", "Happy Mid-Autumn Festival"), t("{community}祝大家中秋快乐，花好月圆！", "{community} wishes everyone a happy Mid-Autumn Festival!"))],
        ),
        "festival_new_year" => (
            t("元旦祝福", "New Year greetings"),
            Trigger::Schedule { cron: "0 9 1 1 *".into() },
            vec![post(t("新年快乐", "Happy New Year"), t("{community}祝大家新年快乐！", "Happy New Year from {community}!"))],
        ),
        _ => return None,
    };
    Some(RuleDef { name, trigger, conditions: Conditions::default(), actions })
}
