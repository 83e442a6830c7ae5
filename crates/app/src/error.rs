use yaji_domain::permission::Denial;
use yaji_domain::FieldError;

/// Errors of the application layer. Front ends map each variant to one HTTP
/// status and a stable code; `Internal` details are logged, never shown.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Invalid(#[from] FieldError),
    #[error("authentication required")]
    Unauthenticated,
    #[error("invalid username or password")]
    BadCredentials,
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    Conflict { code: &'static str, field: Option<&'static str>, message: String },
    /// A time range is taken (a room's booking): which ranges, as RFC 3339 pairs.
    #[error("{message}")]
    Taken { message: String, ranges: Vec<(String, String)> },
    #[error("too many attempts; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("internal error")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn conflict(code: &'static str, field: Option<&'static str>, message: impl Into<String>) -> Self {
        AppError::Conflict { code, field, message: message.into() }
    }
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Forbidden { code, message: message.into() }
    }
}

impl From<Denial> for AppError {
    fn from(d: Denial) -> Self {
        let message = match d {
            Denial::SignInRequired => return AppError::Unauthenticated,
            Denial::MembersOnly => "only members of this community can do this",
            Denial::Banned => "you are banned from this community",
            Denial::AlreadyMember => {
                return AppError::conflict("already_member", None, "you are already a member of this community")
            }
            Denial::NeedsApproval => "this community reviews applications: apply with answers to its entry questions",
            Denial::InviteRequired => "this community can only be joined with an invite link",
            Denial::NotOpenForApplications => "this community does not take applications",
            Denial::InsufficientRole => "your role in this community does not allow this",
            Denial::TargetOutranks => "you cannot act on a member of your own role or above",
            Denial::NotAuthor => "only the author can do this",
            Denial::OwnerCannotLeave => "the owner cannot leave their community",
            Denial::Muted => "you are muted in this community",
            Denial::RulesNotAccepted => "the rules changed: read and accept the new version first",
            Denial::TopicLocked => "this topic opens at a higher level or with a tag",
            Denial::NotEligible => "this is open to members with a given tag or role",
        };
        AppError::forbidden(d.code(), message)
    }
}

impl From<yaji_store::DbError> for AppError {
    fn from(e: yaji_store::DbError) -> Self {
        AppError::Internal(e.to_string())
    }
}
