//! Batches of ids or names that one request acts on (join requests, members):
//! at least one, at most a limit, each once in the order given.

use std::collections::HashSet;
use std::hash::Hash;

use crate::error::{invalid, Invalid};

/// The most items one batch request touches.
pub const MAX_BATCH: usize = 200;

/// `items` without repeats (first kept), refused when empty or over [`MAX_BATCH`];
/// `field` names the request field, `what` the items in the message.
pub fn distinct<T: Eq + Hash + Clone>(field: &'static str, items: &[T], what: &str) -> Invalid<Vec<T>> {
    if items.is_empty() {
        return Err(invalid(field, "required", format!("choose at least one {what}")));
    }
    if items.len() > MAX_BATCH {
        return Err(invalid(field, "too_many", format!("at most {MAX_BATCH} {what}s at once")));
    }
    let mut seen = HashSet::new();
    Ok(items.iter().filter(|i| seen.insert((*i).clone())).cloned().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_first_of_each_and_bounds_the_batch() {
        assert_eq!(distinct("ids", &[3, 1, 3, 2, 1], "request").unwrap(), vec![3, 1, 2]);
        assert_eq!(distinct::<i64>("ids", &[], "request").unwrap_err().code, "required");
        let many: Vec<i64> = (0..=MAX_BATCH as i64).collect();
        let e = distinct("ids", &many, "request").unwrap_err();
        assert_eq!((e.field, e.code), ("ids", "too_many"));
        assert_eq!(distinct("ids", &many[..MAX_BATCH], "request").unwrap().len(), MAX_BATCH);
    }
}
