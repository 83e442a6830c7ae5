//! Read caches that are exact: every entry belongs to one database
//! generation (`Db::generation`, SQLite only), and any commit, from this
//! process or another, starts a new one. A reader takes the generation
//! before it reads, so a commit racing with the read only costs a miss.
//! On PostgreSQL there is no generation and nothing is cached.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use yaji_domain::content::Feed;
use yaji_store::repo::community::{CommunityRow, MembershipRow};
use yaji_store::repo::user::{SessionRow, TokenUserRow};

/// Which community a context was looked up by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum CommunityKey {
    Slug(String),
    Id(i64),
}

/// What the read paths keep per generation. Sized for a busy site's working
/// set: the first pages people hit and the members online now.
pub(crate) struct Caches {
    /// Feed and post pages as JSON.
    pub pages: GenCache<PageKey, bytes::Bytes>,
    /// Community rows, shared by every viewer's context (a row can carry a few KB of text).
    pub communities: GenCache<CommunityKey, Arc<CommunityRow>>,
    /// A member's standing: (community id, user id) → membership, `None` if none.
    pub memberships: GenCache<(i64, i64), Option<MembershipRow>>,
    /// Sessions and API tokens by the hash of their secret.
    pub sessions: GenCache<String, Arc<SessionRow>>,
    pub tokens: GenCache<String, Arc<TokenUserRow>>,
    /// What waits for each person who helps run communities (the bell on every page).
    pub staff_work: GenCache<i64, Arc<Vec<crate::staff_work::StaffWork>>>,
}

impl Default for Caches {
    fn default() -> Self {
        Caches {
            pages: GenCache::new(1024),
            communities: GenCache::new(1024),
            memberships: GenCache::new(4096),
            sessions: GenCache::new(4096),
            tokens: GenCache::new(1024),
            staff_work: GenCache::new(4096),
        }
    }
}

/// A bounded map for one generation. When full it starts over: what people
/// hit (a few communities' first pages, the members online now) refills at once.
pub(crate) struct GenCache<K, V> {
    inner: parking_lot::Mutex<(u64, HashMap<K, V>)>,
    capacity: usize,
}

impl<K: Hash + Eq, V: Clone> GenCache<K, V> {
    pub(crate) fn new(capacity: usize) -> Self {
        GenCache { inner: parking_lot::Mutex::new((0, HashMap::new())), capacity }
    }

    pub(crate) fn get<Q>(&self, generation: Option<u64>, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let generation = generation?;
        let inner = self.inner.lock();
        if inner.0 != generation {
            return None;
        }
        inner.1.get(key).cloned()
    }

    pub(crate) fn put(&self, generation: Option<u64>, key: K, value: V) {
        let Some(generation) = generation else { return };
        let mut inner = self.inner.lock();
        if inner.0 > generation {
            return; // read before a newer commit was seen: stale already
        }
        if inner.0 != generation || inner.1.len() >= self.capacity {
            inner.0 = generation;
            inner.1.clear();
        }
        inner.1.insert(key, value);
    }
}

/// Which cached page: everything it depends on besides the data.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum PageKey {
    Feed {
        community_id: i64,
        feed: Feed,
        cursor: Option<String>,
        limit: Option<u32>,
    },
    /// A post page as a visitor who is not logged in sees it.
    Post(i64),
}

#[cfg(test)]
mod tests {
    use super::GenCache;

    #[test]
    fn entries_live_for_one_generation() {
        let c = GenCache::<String, u32>::new(2);
        c.put(Some(1), "a".into(), 1);
        assert_eq!(c.get(Some(1), "a"), Some(1));
        assert_eq!(c.get(Some(2), "a"), None, "a newer generation never sees older entries");
        c.put(Some(2), "b".into(), 2);
        assert_eq!(c.get(Some(1), "a"), None, "the older generation is gone");
        c.put(Some(1), "a".into(), 1);
        assert_eq!(c.get(Some(2), "a"), None, "an entry read before a newer commit is not kept");
        assert_eq!(c.get(Some(2), "b"), Some(2));
    }

    #[test]
    fn bounded_and_off_without_generations() {
        let c = GenCache::<u32, u32>::new(2);
        c.put(Some(1), 1, 1);
        c.put(Some(1), 2, 2);
        c.put(Some(1), 3, 3);
        assert_eq!(c.get(Some(1), &1), None, "full: started over");
        assert_eq!(c.get(Some(1), &3), Some(3));
        c.put(None, 4, 4);
        assert_eq!(c.get(None, &4), None, "PostgreSQL: nothing is cached");
    }
}
