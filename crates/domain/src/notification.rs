//! Notification kinds: defined once for the inbox and for email (title in
//! both languages, default email mode, where it links to).

use crate::email::Mode;

macro_rules! notification_kinds {
    ($($v:ident => $s:literal, $zh:literal, $en:literal, $mode:ident;)*) => {
        /// What a notification is about. The order is the one the email
        /// settings list.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum NotificationKind { $($v),* }

        impl NotificationKind {
            pub const ALL: &'static [NotificationKind] = &[$(NotificationKind::$v),*];

            pub fn as_str(self) -> &'static str {
                match self { $(NotificationKind::$v => $s),* }
            }

            pub fn parse(s: &str) -> Option<NotificationKind> {
                match s { $($s => Some(NotificationKind::$v),)* _ => None }
            }

            /// The title the inbox and email subjects show.
            pub fn title(self, zh: bool) -> &'static str {
                match (self, zh) { $((NotificationKind::$v, true) => $zh, (NotificationKind::$v, false) => $en,)* }
            }

            /// Email mode until the member chooses: conversations and moderation
            /// matter now; the assistant's messages can wait for the digest.
            pub fn default_mode(self) -> Mode {
                match self { $(NotificationKind::$v => Mode::$mode),* }
            }
        }
    };
}

notification_kinds! {
    Reply => "reply", "新回复", "New reply", Immediate;
    Mention => "mention", "有人@了你", "You were mentioned", Immediate;
    Welcome => "welcome", "欢迎", "Welcome", Daily;
    Automation => "automation", "助手消息", "From the assistant", Daily;
    JoinApproved => "join_approved", "入群申请已通过", "Application approved", Immediate;
    JoinRejected => "join_rejected", "入群申请未通过", "Application not approved", Immediate;
    MemberWarned => "member_warned", "你收到一条警告", "You received a warning", Immediate;
    MemberMuted => "member_muted", "你被禁言了", "You were muted", Immediate;
    MemberRemoved => "member_removed", "你被移出了社群", "You were removed from a community", Immediate;
    MemberBanned => "member_banned", "你被封禁了", "You were banned from a community", Immediate;
    UnansweredQuestion => "unanswered_question", "有问题等待回答", "A question is waiting for an answer", Daily;
    AutomationMods => "automation_mods", "助手：给版主", "Assistant: for moderators", Daily;
    RulesChanged => "rules_changed", "社群公约更新了", "The community's rules changed", Daily;
    LevelReached => "level_reached", "你升级了", "You reached a new level", Daily;
    CommunityMessage => "community_message", "社群消息", "A message from a community", Immediate;
    BadgeEarned => "badge_earned", "你获得了一枚徽章", "You earned a badge", Weekly;
    CheckinReminder => "checkin_reminder", "今天还没打卡", "You have not checked in today", Immediate;
    StreakReached => "streak_reached", "连续打卡里程碑", "A streak milestone", Daily;
    LotteryWon => "lottery_won", "你中奖了", "You won a lottery prize", Immediate;
    LotteryDrawn => "lottery_drawn", "抽奖已开奖", "A lottery was drawn", Daily;
    RegistrationPromoted => "registration_promoted", "你已从候补转为报名成功", "You have a seat now", Immediate;
    RegistrationChanged => "registration_changed", "你的报名状态有变化", "Your registration changed", Immediate;
    EventReminder => "event_reminder", "活动即将开始", "A gathering starts soon", Immediate;
    EventCanceled => "event_canceled", "活动已取消", "A gathering was cancelled", Immediate;
    EventFeedback => "event_feedback", "来评价一下这次活动", "How was the gathering?", Daily;
    BookingDecided => "booking_decided", "你的场地预约有结果了", "Your room booking was decided", Immediate;
    ProposalApproved => "proposal_approved", "你提议的活动通过了", "Your gathering proposal was approved", Immediate;
    AnswerAccepted => "answer_accepted", "你的回答被采纳了", "Your answer was accepted", Immediate;
    BountySettled => "bounty_settled", "悬赏已结算", "A bounty was settled", Immediate;
    EventInvitation => "event_invitation", "邀请你参加一场活动", "You are invited to a gathering", Immediate;
}

impl NotificationKind {
    /// Where the notification leads, from its stored detail: the community's rules for a
    /// welcome, the page a detail names (`link`), the post (and comment) it is
    /// about, else none.
    pub fn link(self, detail: &serde_json::Value) -> Option<String> {
        let to_rules = matches!(self, NotificationKind::Welcome | NotificationKind::RulesChanged);
        if let Some(link) = detail["rules_link"].as_str().filter(|_| to_rules) {
            return Some(link.to_string());
        }
        if let Some(link) = detail["link"]
            .as_str()
            .filter(|_| !matches!(self, NotificationKind::Welcome | NotificationKind::RulesChanged))
        {
            return Some(link.to_string());
        }
        let post = detail["post_id"].as_i64()?;
        Some(match detail["comment_id"].as_i64() {
            Some(c) => format!("/p/{post}#c{c}"),
            None => format!("/p/{post}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_have_titles() {
        for k in NotificationKind::ALL {
            assert_eq!(NotificationKind::parse(k.as_str()), Some(*k));
            assert!(!k.title(true).is_empty() && !k.title(false).is_empty());
        }
        assert_eq!(NotificationKind::parse("nope"), None);
        assert_eq!(NotificationKind::Welcome.default_mode(), Mode::Daily);
        assert_eq!(NotificationKind::Reply.default_mode(), Mode::Immediate);
    }

    #[test]
    fn links_follow_the_detail() {
        let d = serde_json::json!({"post_id": 4, "comment_id": 9});
        assert_eq!(NotificationKind::Reply.link(&d).as_deref(), Some("/p/4#c9"));
        let w = serde_json::json!({"rules_link": "/c/tea/rules"});
        assert_eq!(NotificationKind::Welcome.link(&w).as_deref(), Some("/c/tea/rules"));
        assert_eq!(NotificationKind::MemberMuted.link(&serde_json::json!({})), None);
    }
}
