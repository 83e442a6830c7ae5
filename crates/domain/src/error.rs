use std::fmt;

/// A field failed validation: which field, a stable snake_case code the UI
/// translates, and an English message for API clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for FieldError {}

pub type Invalid<T> = Result<T, FieldError>;

pub fn invalid(field: &'static str, code: &'static str, message: impl Into<String>) -> FieldError {
    FieldError { field, code, message: message.into() }
}

/// An optional whole number with a default, checked against its range
/// ("0 to 100 cards" names the field when it is out).
pub fn bounded(
    field: &'static str,
    v: Option<i64>,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
    unit: &str,
) -> Invalid<i64> {
    let n = v.unwrap_or(default);
    if range.contains(&n) {
        Ok(n)
    } else {
        Err(invalid(field, "out_of_range", format!("{} to {} {unit}", range.start(), range.end())))
    }
}
