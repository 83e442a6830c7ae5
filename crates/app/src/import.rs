//! `yaji import activity`: an activity log from elsewhere, so operators can
//! analyse their history. Each batch of lines is one transaction; a line
//! imported before changes nothing.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;
use yaji_domain::analytics::import::parse_line;
use yaji_store::repo::import as repo;
use yaji_store::repo::user as users;

use crate::{now, App, AppResult};

#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub imported: u64,
    /// Lines already in the log (an earlier import of the same file).
    pub duplicates: u64,
    /// (line number, why), 1-based.
    pub rejected: Vec<(usize, String)>,
    pub communities_created_or_found: usize,
    pub members_created_or_found: usize,
}

/// Ids resolved so far, so each name costs one query per import.
#[derive(Default)]
pub struct ImportState {
    communities: HashMap<String, i64>,
    members: HashMap<String, i64>,
    touched: BTreeSet<i64>,
}

impl ImportState {
    /// (communities, members) seen so far.
    pub fn counts(&self) -> (usize, usize) {
        (self.communities.len(), self.members.len())
    }
}

impl App {
    /// Imports one batch of (line number, line) in one transaction.
    pub async fn import_activity_batch(
        &self,
        state: &mut ImportState,
        lines: &[(usize, String)],
    ) -> AppResult<ImportReport> {
        let mut report = ImportReport::default();
        let now = now();
        let mut tx = self.db.write().await?;
        let owner = users::assistant(tx.conn(), now).await?;
        for (n, line) in lines {
            if line.trim().is_empty() {
                continue;
            }
            let e = match parse_line(line) {
                Ok(e) => e,
                Err(why) => {
                    report.rejected.push((*n, why));
                    continue;
                }
            };
            let cid = match state.communities.get(&e.community_slug) {
                Some(id) => *id,
                None => {
                    let id =
                        repo::ensure_community(tx.conn(), &e.community_slug, &e.community_name, owner, now).await?;
                    state.communities.insert(e.community_slug.clone(), id);
                    id
                }
            };
            let uid = match state.members.get(&e.username) {
                Some(id) => *id,
                None => {
                    let id = repo::ensure_user(tx.conn(), &e.username, &e.display_name, now).await?;
                    state.members.insert(e.username.clone(), id);
                    id
                }
            };
            if repo::insert_event(tx.conn(), &e.kind, cid, uid, e.at, &e.key).await? {
                repo::ensure_membership(tx.conn(), cid, uid, e.at).await?;
                state.touched.insert(cid);
                report.imported += 1;
            } else {
                report.duplicates += 1;
            }
        }
        tx.commit().await?;
        report.communities_created_or_found = state.communities.len();
        report.members_created_or_found = state.members.len();
        Ok(report)
    }

    /// After the last batch: member counts of the communities that changed.
    pub async fn finish_import(&self, state: &ImportState) -> AppResult<()> {
        let mut tx = self.db.write().await?;
        for cid in &state.touched {
            repo::refresh_member_count(tx.conn(), *cid).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
