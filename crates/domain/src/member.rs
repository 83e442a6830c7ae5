//! Membership: roles and states.

use serde::{Deserialize, Serialize};

use crate::community::str_enum;
use crate::error::{invalid, Invalid};

/// Community roles, ordered: a higher role outranks every lower one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Member,
    Moderator,
    Admin,
    Owner,
}

str_enum!(Role { Member => "member", Moderator => "moderator", Admin => "admin", Owner => "owner" });

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Moderator, Role::Member];
}

/// Where a person stands with a community. `Left` and `Removed` may join again;
/// `Banned` may not until unbanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberState {
    Active,
    Left,
    Removed,
    Banned,
}

str_enum!(MemberState { Active => "active", Left => "left", Removed => "removed", Banned => "banned" });

impl MemberState {
    pub const ALL: [MemberState; 4] =
        [MemberState::Active, MemberState::Left, MemberState::Removed, MemberState::Banned];
}

/// A role filter in the member directory: a role name or empty for all.
pub fn role_filter(raw: Option<&str>) -> Invalid<Option<Role>> {
    match raw.map(str::trim) {
        None | Some("") | Some("all") => Ok(None),
        Some(r) => Role::parse("role", r)
            .map(Some)
            .map_err(|_| invalid("role", "invalid_choice", "role must be owner, admin, moderator or member")),
    }
}
