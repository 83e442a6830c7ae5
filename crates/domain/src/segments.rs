//! Member segments: a saved description of a group of members ("tagged
//! 读书会 and Lv3 or above, active in the last 30 days") that operators
//! preview, list and act on in bulk. Every condition must hold; a segment
//! without conditions is every active member.

use serde::{Deserialize, Serialize};

use crate::analytics::Tier;
use crate::error::{invalid, Invalid};
use crate::member::Role;

/// Most tags a condition names.
pub const MAX_TAGS: usize = 10;
/// Longest look-back a day condition takes (ten years).
pub const MAX_DAYS: i64 = 3650;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentRule {
    /// Has at least one of these tags.
    #[serde(default)]
    pub tags_any: Vec<String>,
    /// Has none of these tags.
    #[serde(default)]
    pub tags_none: Vec<String>,
    /// At this level (1-based) or above, by the community's points levels.
    #[serde(default)]
    pub min_level: Option<i64>,
    /// With at least this many points.
    #[serde(default)]
    pub min_points: Option<i64>,
    /// One of these roles (`member`, `moderator`, `admin`, `owner`); empty: any.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Joined in the last N days.
    #[serde(default)]
    pub joined_within_days: Option<i64>,
    /// Joined more than N days ago.
    #[serde(default)]
    pub joined_before_days: Option<i64>,
    /// Posted, commented or reacted in the last N days.
    #[serde(default)]
    pub active_within_days: Option<i64>,
    /// Did none of that in the last N days (the ones to win back).
    #[serde(default)]
    pub inactive_days: Option<i64>,
    /// In one of these analytics tiers today (`new`, `active`, `core`,
    /// `silent`, `churned`; docs/analytics.md); empty: any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tiers: Vec<String>,
    /// Taking part in this check-in challenge…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge_id: Option<i64>,
    /// …with a current streak of at least this many days (none: any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub streak_days: Option<i64>,
    /// Came to at least this many of the community's gatherings…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attended_events: Option<i64>,
    /// …in the last N days (none: ever).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attended_within_days: Option<i64>,
}

fn tags(field: &'static str, raw: Vec<String>) -> Invalid<Vec<String>> {
    let mut out: Vec<String> = vec![];
    for t in raw {
        if t.trim().is_empty() {
            continue;
        }
        let t = crate::automation::tag(&t).map_err(|e| invalid(field, e.code, e.message))?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > MAX_TAGS {
        return Err(invalid(field, "too_many", format!("at most {MAX_TAGS} tags")));
    }
    Ok(out)
}

fn days(field: &'static str, d: Option<i64>) -> Invalid<Option<i64>> {
    match d {
        Some(n) if !(1..=MAX_DAYS).contains(&n) => {
            Err(invalid(field, "out_of_range", format!("a number of days from 1 to {MAX_DAYS}")))
        }
        other => Ok(other),
    }
}

impl SegmentRule {
    /// Checks a rule as an operator sent it; the error names the field.
    pub fn validate(self) -> Invalid<SegmentRule> {
        let tags_any = tags("tags_any", self.tags_any)?;
        let tags_none = tags("tags_none", self.tags_none)?;
        if let Some(t) = tags_any.iter().find(|t| tags_none.contains(t)) {
            return Err(invalid("tags_none", "contradiction", format!("{t} is both required and excluded")));
        }
        let mut roles = vec![];
        for r in self.roles {
            let role = Role::parse("roles", r.trim())?;
            if !roles.contains(&role.as_str().to_string()) {
                roles.push(role.as_str().to_string());
            }
        }
        if self.min_level.is_some_and(|l| !(1..=crate::points::MAX_LEVELS as i64).contains(&l)) {
            return Err(invalid("min_level", "out_of_range", "a level from 1 up"));
        }
        if self.min_points.is_some_and(|p| p < 0) {
            return Err(invalid("min_points", "out_of_range", "points are 0 or more"));
        }
        let mut tiers: Vec<String> = vec![];
        for t in self.tiers {
            let tier = Tier::parse(t.trim()).ok_or_else(|| {
                invalid("tiers", "unknown_tier", format!("'{t}' is not one of new, active, core, silent, churned"))
            })?;
            if !tiers.iter().any(|x| x == tier.as_str()) {
                tiers.push(tier.as_str().to_string());
            }
        }
        if self.streak_days.is_some() && self.challenge_id.is_none() {
            return Err(invalid("challenge_id", "required", "a streak is counted in a challenge: pick one"));
        }
        if self.streak_days.is_some_and(|d| !(1..=3650).contains(&d)) {
            return Err(invalid("streak_days", "out_of_range", "a streak of 1 to 3650 days"));
        }
        if self.attended_events.is_some_and(|n| !(1..=1000).contains(&n)) {
            return Err(invalid("attended_events", "out_of_range", "came to 1 to 1000 gatherings"));
        }
        if self.attended_within_days.is_some() && self.attended_events.is_none() {
            return Err(invalid("attended_events", "required", "say how many gatherings they came to"));
        }
        let rule = SegmentRule {
            tags_any,
            tiers,
            tags_none,
            roles,
            joined_within_days: days("joined_within_days", self.joined_within_days)?,
            joined_before_days: days("joined_before_days", self.joined_before_days)?,
            active_within_days: days("active_within_days", self.active_within_days)?,
            inactive_days: days("inactive_days", self.inactive_days)?,
            attended_within_days: days("attended_within_days", self.attended_within_days)?,
            ..self
        };
        if let (Some(w), Some(b)) = (rule.joined_within_days, rule.joined_before_days) {
            if b >= w {
                return Err(invalid(
                    "joined_before_days",
                    "contradiction",
                    "no one joined both within and before that",
                ));
            }
        }
        if let (Some(a), Some(i)) = (rule.active_within_days, rule.inactive_days) {
            if i >= a {
                return Err(invalid("inactive_days", "contradiction", "no one is both active and inactive then"));
            }
        }
        Ok(rule)
    }
}

/// A segment's name: 1–60 characters.
pub fn name(raw: &str) -> Invalid<String> {
    let n = raw.trim();
    if n.is_empty() || n.chars().count() > 60 {
        return Err(invalid("name", "invalid_length", "a segment's name is 1-60 characters"));
    }
    Ok(n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_normalized_and_checked() {
        let r = SegmentRule {
            tags_any: vec![" 读书会 ".into(), "读书会".into(), "".into()],
            roles: vec!["member".into()],
            active_within_days: Some(30),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(r.tags_any, ["读书会"]);
        let bad = |r: SegmentRule| r.validate().unwrap_err().field;
        assert_eq!(bad(SegmentRule { roles: vec!["king".into()], ..Default::default() }), "roles");
        assert_eq!(
            bad(SegmentRule { tags_any: vec!["a".into()], tags_none: vec!["a".into()], ..Default::default() }),
            "tags_none"
        );
        assert_eq!(bad(SegmentRule { inactive_days: Some(0), ..Default::default() }), "inactive_days");
        assert_eq!(
            bad(SegmentRule { active_within_days: Some(7), inactive_days: Some(30), ..Default::default() }),
            "inactive_days"
        );
        assert_eq!(
            bad(SegmentRule { joined_within_days: Some(7), joined_before_days: Some(30), ..Default::default() }),
            "joined_before_days"
        );
        assert_eq!(bad(SegmentRule { min_level: Some(0), ..Default::default() }), "min_level");
        assert_eq!(
            bad(SegmentRule { tags_any: (0..11).map(|i| format!("t{i}")).collect(), ..Default::default() }),
            "tags_any"
        );
        assert!(SegmentRule::default().validate().is_ok(), "no conditions: everyone");
        assert_eq!(bad(SegmentRule { tiers: vec!["sleepy".into()], ..Default::default() }), "tiers");
        assert_eq!(bad(SegmentRule { streak_days: Some(7), ..Default::default() }), "challenge_id");
        assert_eq!(
            bad(SegmentRule { challenge_id: Some(1), streak_days: Some(0), ..Default::default() }),
            "streak_days"
        );
        let t = SegmentRule { tiers: vec![" silent".into(), "silent".into(), "churned".into()], ..Default::default() };
        assert_eq!(t.validate().unwrap().tiers, ["silent", "churned"]);
        assert_eq!(name("  ").unwrap_err().field, "name");
    }
}
