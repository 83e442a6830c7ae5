//! Accounts: usernames, passwords, profiles.

use crate::error::{invalid, Invalid};
use crate::text::{self, MAX_NAME_CHARS, MAX_SHORT_TEXT_CHARS};

/// Login name: 3–32 chars of ASCII letters, digits, `_`, `-`, `.`; stored lowercase
/// so that `Alice` and `alice` cannot both exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Invalid<Self> {
        let s = raw.trim().to_ascii_lowercase();
        let ok_len = (3..=32).contains(&s.len());
        let ok_chars = s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !ok_len || !ok_chars || s.starts_with('.') {
            return Err(invalid(
                "username",
                "invalid_username",
                "username must be 3-32 characters: letters, digits, _ - .",
            ));
        }
        Ok(Self(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Every problem with a sign-up form at once (the use case stops at the first),
/// so a person fixes all fields in one go.
pub fn registration_problems(username: &str, password: &str, display_name: &str) -> Vec<crate::error::FieldError> {
    let display = match display_name.trim() {
        "" => Ok(String::new()),
        d => text::required_line("display_name", d, MAX_NAME_CHARS),
    };
    [Username::parse(username).err(), NewPassword::parse(password).err(), display.err()].into_iter().flatten().collect()
}

pub const MIN_PASSWORD_CHARS: usize = 10;

/// A new password: 10–256 characters. Checked only at registration and change;
/// login compares against the stored hash whatever is typed.
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(raw: &str) -> Invalid<Self> {
        let n = raw.chars().count();
        if n < MIN_PASSWORD_CHARS {
            return Err(invalid(
                "password",
                "password_too_short",
                format!("password must be at least {MIN_PASSWORD_CHARS} characters"),
            ));
        }
        if n > 256 {
            return Err(invalid("password", "too_long", "password must be at most 256 characters"));
        }
        Ok(Self(raw.to_string()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Profile fields a user edits about themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub display_name: String,
    pub avatar_url: Option<String>,
    pub bio: String,
    pub locale: String,
    pub time_zone: String,
}

pub struct ProfileInput<'a> {
    pub display_name: &'a str,
    pub avatar_url: &'a str,
    pub bio: &'a str,
    pub locale: &'a str,
    pub time_zone: &'a str,
}

impl Profile {
    pub fn parse(i: ProfileInput<'_>) -> Invalid<Self> {
        Ok(Self {
            display_name: text::required_line("display_name", i.display_name, MAX_NAME_CHARS)?,
            avatar_url: text::optional_url("avatar_url", i.avatar_url)?,
            bio: text::optional_text("bio", i.bio, MAX_SHORT_TEXT_CHARS)?,
            locale: text::locale("locale", i.locale)?,
            time_zone: text::time_zone("time_zone", i.time_zone)?,
        })
    }
}

/// A name for an API token, so its owner can tell them apart.
pub fn token_name(raw: &str) -> Invalid<String> {
    text::required_line("name", raw, MAX_NAME_CHARS)
}

#[cfg(test)]
mod tests {
    #[test]
    fn registration_problems_names_every_bad_field() {
        let p = super::registration_problems("陈语嫣", "short", "陈语嫣");
        assert_eq!(p.iter().map(|e| e.field).collect::<Vec<_>>(), ["username", "password"]);
        assert!(super::registration_problems("chen.yuyan", "long enough pass", "陈语嫣").is_empty());
        assert_eq!(super::registration_problems("ok_name", "long enough pass", "a\u{0}b")[0].field, "display_name");
    }

    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(Username::parse(" Alice_1 ").unwrap().as_str(), "alice_1");
        for bad in ["ab", "a b c", "名字名字", ".hidden", &"a".repeat(33)] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse("long enough!").is_ok());
    }
}
