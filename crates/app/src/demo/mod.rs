//! The demo: four living, bilingual communities of different kinds with 200
//! members and 90 days of history (posts, comments, reactions, joins through
//! invites, pending applications), written with their activity events at
//! their historical times. Deterministic: the same seed on the same UTC day
//! gives the same database. The history is written here directly (with its
//! events at their times); each capability then shows itself through its own
//! use cases (`moderation`, `faq`, `automation`, `calendar`).

use yaji_domain::activity::{
    CommentCreated, CommentReaction, CommunityCreated, Event, Kind, MemberJoined, PostCreated, ReactionAdded, Subject,
    TopicCreated,
};
use yaji_domain::community::{CommunitySettings, SettingsInput};
use yaji_domain::content::ContentState;
use yaji_domain::text::{excerpt, markdown_to_html};
use yaji_store::repo::membership as mrepo;
use yaji_store::repo::{activity, community as crepo, content as prepo, user as urepo};

use crate::{App, AppError, AppResult, HashCost};

mod automation;
mod calendar;
mod cast;
mod challenges;
mod data;
mod faq;
mod gatherings;
mod lotteries;
mod moderation;
mod points;
mod polls;
mod qa;
mod rng;

use cast::Cast;
use data::*;
use rng::{weighted, Rng};

/// Password of every demo account (documented in the README; demo data only).
pub const DEMO_PASSWORD: &str = "yaji-demo-2026";
const SEED: u64 = 0x59_41_4A_49; // "YAJI"
use crate::platform::{DAY_MS as DAY, HOUR_MS as HOUR, MINUTE_MS};

#[derive(Debug, Clone, Default)]
pub struct DemoReport {
    pub communities: usize,
    pub members: usize,
    pub posts: usize,
    pub comments: usize,
    pub reactions: usize,
}

enum Step {
    Join {
        c: usize,
        user: usize,
        invited_by: Option<usize>,
    },
    Post {
        c: usize,
        author: usize,
        topic: Option<usize>,
        text: usize,
        idx: usize,
    },
    /// `likes`: members who give the comment a 👍 (not its author).
    Comment {
        post: usize,
        author: usize,
        text: usize,
        likes: Vec<usize>,
    },
    React {
        post: usize,
        user: usize,
        emoji: usize,
    },
}

impl App {
    /// Seeds the demo unless any community exists. With `quiet`, prints nothing.
    pub async fn seed_demo(&self, quiet: bool) -> AppResult<Option<DemoReport>> {
        self.seed_demo_at(yaji_store::now_millis(), quiet).await
    }

    /// Seeds the demo as of `now` (milliseconds): the same `now` gives the same data.
    pub async fn seed_demo_at(&self, now: i64, quiet: bool) -> AppResult<Option<DemoReport>> {
        {
            let mut c = self.db.read().await?;
            if !crepo::list(&mut c, false, 1, 0).await?.is_empty() {
                return Ok(None);
            }
        }
        let hash = crate::accounts::hash_password(DEMO_PASSWORD.to_string(), HashCost::Standard).await?;
        let today = now / DAY * DAY;
        let start = today - 90 * DAY;
        let mut rng = Rng(SEED);
        let mut report = DemoReport { communities: COMMUNITIES.len(), members: 200, ..Default::default() };

        // People: 200 names, mixed Chinese and English.
        let mut people: Vec<(String, String, &str)> = Vec::with_capacity(200);
        let mut taken = std::collections::HashSet::new();
        while people.len() < 200 {
            let (sz, sp) = *rng.pick(SURNAMES);
            let (username, display, locale) = if rng.chance(0.7) {
                let (gz, gp) = *rng.pick(GIVEN);
                (format!("{sp}.{gp}"), format!("{sz}{gz}"), "zh-CN")
            } else {
                let e = *rng.pick(ENGLISH);
                (format!("{}.{sp}", e.to_lowercase()), format!("{e} {}{}", sp[..1].to_uppercase(), &sp[1..]), "en")
            };
            let username = if taken.contains(&username) { format!("{username}{}", people.len()) } else { username };
            taken.insert(username.clone());
            people.push((username, display, locale));
        }
        // Activity weights: a few heavy posters, many lurkers.
        let weight: Vec<f64> = (0..200).map(|i| 1.0 / ((i + 1) as f64).powf(0.85)).collect();

        let mut steps: Vec<(i64, Step)> = vec![];
        let mut members: Vec<Vec<(usize, i64)>> = vec![vec![]; COMMUNITIES.len()];
        for (ci, _) in COMMUNITIES.iter().enumerate() {
            members[ci].push((ci, start)); // owners are users 0..4, members from day 0
            for staff in [4 + ci * 2, 5 + ci * 2] {
                members[ci].push((staff, start + HOUR * (2 + staff as i64)));
                steps.push((start + HOUR * (2 + staff as i64), Step::Join { c: ci, user: staff, invited_by: None }));
            }
        }
        for u in 12..200 {
            let n = 1 + rng.below(3);
            for _ in 0..n {
                let ci = rng.below(COMMUNITIES.len());
                if members[ci].iter().any(|(m, _)| *m == u) {
                    continue;
                }
                // Growth: more people joined recently than at the start.
                let day = (90.0 * rng.f().powf(0.75)) as i64;
                let at = start + day * DAY + 8 * HOUR + rng.below(14) as i64 * HOUR;
                let invited_by = if rng.chance(0.35) || COMMUNITIES[ci].policy == "invite_only" {
                    let earlier: Vec<usize> = members[ci].iter().filter(|(_, t)| *t < at).map(|(m, _)| *m).collect();
                    Some(*rng.pick(&earlier))
                } else {
                    None
                };
                members[ci].push((u, at));
                steps.push((at, Step::Join { c: ci, user: u, invited_by }));
            }
        }
        // Posts: weekly rhythm (more on weekends and evenings), growing over time.
        let mut posts: Vec<(i64, usize, usize)> = vec![]; // (time, community, author)
        let mut post_count = 0;
        let mut written = vec![0usize; COMMUNITIES.len()];
        for day in 0..90i64 {
            let weekday = (day + 4) % 7; // 1970-01-01 was a Thursday
            let weekend = weekday == 2 || weekday == 3;
            for (ci, c) in COMMUNITIES.iter().enumerate() {
                let expected = 0.8 * c.weight * (1.2 + 1.8 * day as f64 / 90.0) * if weekend { 1.4 } else { 1.0 };
                let n = (expected + rng.f() * 1.5) as usize;
                for _ in 0..n {
                    let hour = *rng.pick(&[7, 8, 9, 12, 12, 13, 18, 19, 20, 20, 21, 21, 22, 23]) - 8; // UTC for Asia/Shanghai
                    let at = start + day * DAY + hour as i64 * HOUR + rng.below(HOUR as usize) as i64;
                    let pool: Vec<(usize, f64)> =
                        members[ci].iter().filter(|(_, t)| *t < at).map(|(m, _)| (*m, weight[*m])).collect();
                    let Some(author) = weighted(&mut rng, &pool) else {
                        continue;
                    };
                    let topic = if rng.chance(0.65) { Some(rng.below(c.topics.len())) } else { None };
                    // Each handwritten post once, then composed everyday posts, none twice.
                    if written[ci] >= c.posts.len() + EVERYDAY[ci].len() {
                        continue;
                    }
                    let text = written[ci];
                    written[ci] += 1;
                    steps.push((at, Step::Post { c: ci, author, topic, text, idx: post_count }));
                    posts.push((at, ci, author));
                    post_count += 1;
                }
            }
        }
        // Comments and reactions follow posts within two days.
        for (pi, (pt, ci, author)) in posts.iter().enumerate() {
            let pool: Vec<(usize, f64)> = members[*ci]
                .iter()
                .filter(|(m, t)| *t < *pt && m != author)
                .map(|(m, _)| (*m, weight[*m].sqrt()))
                .collect();
            let n_comments = (rng.f() * rng.f() * 7.0) as usize;
            for _ in 0..n_comments {
                let at = pt + 5 * MINUTE_MS + (rng.f().powi(2) * 48.0 * HOUR as f64) as i64;
                if let Some(who) = weighted(&mut rng, &pool) {
                    let text = rng.below(COMMENTS_ZH.len() + COMMENTS_EN.len());
                    let mut likes: Vec<usize> = (0..(rng.f() * rng.f() * 4.0) as usize)
                        .filter_map(|_| weighted(&mut rng, &pool))
                        .filter(|m| *m != who)
                        .collect();
                    likes.sort_unstable();
                    likes.dedup();
                    steps.push((at, Step::Comment { post: pi, author: who, text, likes }));
                }
            }
            let n_reactions = (rng.f() * rng.f() * 12.0) as usize;
            let mut seen = std::collections::HashSet::new();
            for _ in 0..n_reactions {
                let at = pt + MINUTE_MS + (rng.f().powi(2) * 36.0 * HOUR as f64) as i64;
                if let Some(who) = weighted(&mut rng, &pool) {
                    let emoji = if rng.chance(0.6) { 0 } else { rng.below(REACTIONS.len()) };
                    if seen.insert((who, emoji)) {
                        steps.push((at, Step::React { post: pi, user: who, emoji }));
                    }
                }
            }
        }
        steps.retain(|(t, _)| *t < now);
        steps.sort_by_key(|(t, _)| *t);

        let bar = (!quiet).then(|| {
            let b = indicatif::ProgressBar::new(steps.len() as u64 + 200);
            b.set_style(
                indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len}")
                    .expect("template")
                    .progress_chars("=> "),
            );
            b.set_message("seeding demo");
            b
        });

        let mut tx = self.db.write().await?;
        let conn = tx.conn();
        let mut uid = Vec::with_capacity(200);
        for (i, (username, display, locale)) in people.iter().enumerate() {
            let at = start - DAY + i as i64 * MINUTE_MS;
            let nu = urepo::NewUser {
                username,
                display_name: display,
                password_hash: &hash,
                locale,
                time_zone: "Asia/Shanghai",
                is_site_admin: false,
                created_at: at,
            };
            let id = urepo::insert(conn, &nu).await?;
            activity::record(conn, &Event::new(Kind::UserRegistered, None, id, Subject::User(id)), at).await?;
            uid.push(id);
            if let Some(b) = &bar {
                b.inc(1);
            }
        }
        let mut cid = vec![];
        let mut topic_ids: Vec<Vec<i64>> = vec![];
        for (ci, c) in COMMUNITIES.iter().enumerate() {
            let settings = CommunitySettings::parse(&SettingsInput {
                name: c.name.into(),
                description: c.description.into(),
                target_members: c.target.into(),
                core_value: c.value.into(),
                visibility: c.visibility.into(),
                join_policy: c.policy.into(),
                entry_questions: c.questions.iter().map(|q| q.to_string()).collect(),
                time_zone: "Asia/Shanghai".into(),
                announcement: c.announcement.into(),
            })
            .map_err(AppError::from)?;
            let owner = uid[ci];
            let id = crepo::insert(conn, c.slug, &settings, owner, start).await?;
            let v = crepo::publish_rules(conn, id, c.rules, &markdown_to_html(c.rules), owner, false, start).await?;
            mrepo::upsert_active(
                conn,
                &mrepo::Joining {
                    community_id: id,
                    user_id: owner,
                    role: "owner",
                    rules_version: v,
                    invited_by: None,
                    invite_id: None,
                    now: start,
                },
            )
            .await?;
            crepo::add_member_count(conn, id, 1).await?;
            activity::record(
                conn,
                &Event::of(
                    Some(id),
                    owner,
                    Subject::Community(id),
                    &CommunityCreated { slug: c.slug.to_string(), rules_version: v },
                ),
                start,
            )
            .await?;
            let mut tids = vec![];
            for t in c.topics {
                let tid = crepo::insert_topic(conn, id, t, start).await?;
                activity::record(
                    conn,
                    &Event::of(Some(id), owner, Subject::Topic(tid), &TopicCreated { name: t.to_string() }),
                    start,
                )
                .await?;
                tids.push(tid);
            }
            topic_ids.push(tids);
            cid.push(id);
        }
        // Each inviter's personal invite link, created when first used.
        let mut invites: std::collections::HashMap<(usize, usize), i64> = Default::default();
        let mut post_ids: Vec<i64> = vec![0; posts.len()];
        let mut reactions_per_post: Vec<i64> = vec![0; posts.len()];
        for (at, step) in &steps {
            let at = *at;
            match step {
                Step::Join { c, user, invited_by } => {
                    let community_id = cid[*c];
                    let role = if *user >= 4 && *user < 12 {
                        if (*user - 4) % 2 == 0 {
                            "admin"
                        } else {
                            "moderator"
                        }
                    } else {
                        "member"
                    };
                    let invite_id = match invited_by {
                        Some(by) => {
                            let inv = match invites.get(&(*c, *by)) {
                                Some(i) => *i,
                                None => {
                                    let code = format!("demo{}x{}", c, by);
                                    let i = mrepo::insert_invite(
                                        conn,
                                        community_id,
                                        &code,
                                        uid[*by],
                                        None,
                                        None,
                                        at - HOUR,
                                    )
                                    .await?;
                                    activity::record(
                                        conn,
                                        &Event::new(
                                            Kind::InviteCreated,
                                            Some(community_id),
                                            uid[*by],
                                            Subject::Invite(i),
                                        ),
                                        at - HOUR,
                                    )
                                    .await?;
                                    invites.insert((*c, *by), i);
                                    i
                                }
                            };
                            mrepo::use_invite(conn, inv, at).await?;
                            Some(inv)
                        }
                        None => None,
                    };
                    let j = mrepo::Joining {
                        community_id,
                        user_id: uid[*user],
                        role,
                        rules_version: 1,
                        invited_by: invited_by.map(|b| uid[b]),
                        invite_id,
                        now: at,
                    };
                    mrepo::upsert_active(conn, &j).await?;
                    crepo::add_member_count(conn, community_id, 1).await?;
                    let joined = MemberJoined { invited_by: invited_by.map(|b| uid[b]), invite_id, rules_version: 1 };
                    let ev = Event::of(Some(community_id), uid[*user], Subject::User(uid[*user]), &joined);
                    activity::record(conn, &ev, at).await?;
                }
                Step::Post { c, author, topic, text, idx } => {
                    let own = COMMUNITIES[*c].posts;
                    let (title, body) = match own.get(*text) {
                        Some((t, b)) => (t.to_string(), b.to_string()),
                        None => EVERYDAY[*c].post(*text - own.len()),
                    };
                    let (title, body) = (title.as_str(), body.as_str());
                    let np = prepo::NewPost {
                        community_id: cid[*c],
                        author_id: uid[*author],
                        topic_id: topic.map(|t| topic_ids[*c][t]),
                        title: Some(title),
                        body,
                        body_html: &markdown_to_html(body),
                        excerpt: &excerpt(body, 160),
                        created_at: at,
                        moderation: ContentState::Visible,
                    };
                    let id = prepo::insert_post(conn, &np).await?;
                    crepo::add_post_count(conn, cid[*c], 1).await?;
                    activity::record(
                        conn,
                        &Event::of(
                            Some(cid[*c]),
                            uid[*author],
                            Subject::Post(id),
                            &PostCreated {
                                topic_id: np.topic_id,
                                moderation: "visible".into(),
                                question: yaji_domain::faq::is_question(&format!("{title}\n{body}")),
                                automatic: false,
                                checkin: false,
                            },
                        ),
                        at,
                    )
                    .await?;
                    post_ids[*idx] = id;
                    report.posts += 1;
                }
                Step::Comment { post, author, text, likes } => {
                    let body = if *text < COMMENTS_ZH.len() {
                        COMMENTS_ZH[*text]
                    } else {
                        COMMENTS_EN[*text - COMMENTS_ZH.len()]
                    };
                    let (_, ci, pauthor) = posts[*post];
                    let html = markdown_to_html(body);
                    let nc = prepo::NewComment {
                        post_id: post_ids[*post],
                        community_id: cid[ci],
                        author_id: uid[*author],
                        body,
                        body_html: &html,
                        created_at: at,
                        moderation: ContentState::Visible,
                        parent_id: None,
                    };
                    let id = prepo::insert_comment(conn, &nc).await?;
                    prepo::add_comment_count(conn, post_ids[*post], 1).await?;
                    let payload = CommentCreated {
                        post_id: post_ids[*post],
                        post_author_id: Some(uid[pauthor]),
                        moderation: Some("visible".into()),
                        ..Default::default()
                    };
                    let ev = Event::of(Some(cid[ci]), uid[*author], Subject::Comment(id), &payload);
                    activity::record(conn, &ev, at).await?;
                    report.comments += 1;
                    for (i, m) in likes.iter().enumerate() {
                        let liked_at = at + (i as i64 + 1) * 7 * MINUTE_MS;
                        if liked_at < now
                            && prepo::add_comment_reaction(conn, (id, post_ids[*post]), uid[*m], REACTIONS[0], liked_at)
                                .await?
                        {
                            let payload = CommentReaction {
                                emoji: REACTIONS[0].into(),
                                post_id: post_ids[*post],
                                comment_author_id: uid[*author],
                            };
                            let ev = Event::of(Some(cid[ci]), uid[*m], Subject::Comment(id), &payload);
                            activity::record(conn, &ev, liked_at).await?;
                        }
                    }
                }
                Step::React { post, user, emoji } => {
                    let (_, ci, pauthor) = posts[*post];
                    if prepo::add_reaction(conn, post_ids[*post], uid[*user], REACTIONS[*emoji], at).await? {
                        let ev = Event::of(
                            Some(cid[ci]),
                            uid[*user],
                            Subject::Post(post_ids[*post]),
                            &ReactionAdded { emoji: REACTIONS[*emoji].into(), post_author_id: uid[pauthor] },
                        );
                        activity::record(conn, &ev, at).await?;
                        reactions_per_post[*post] += 1;
                        report.reactions += 1;
                    }
                }
            }
            if let Some(b) = &bar {
                b.inc(1);
            }
        }
        // Curation: the most-reacted posts of each community become essence; its newest such post is pinned.
        for (ci, _) in COMMUNITIES.iter().enumerate() {
            let mut ranked: Vec<usize> = (0..posts.len()).filter(|p| posts[*p].1 == ci).collect();
            ranked.sort_by_key(|p| std::cmp::Reverse((reactions_per_post[*p], *p)));
            let moderator = uid[5 + ci * 2];
            for p in ranked.iter().take(ranked.len() / 12 + 1) {
                let at = (posts[*p].0 + 2 * DAY).min(now - HOUR);
                prepo::set_flag(conn, post_ids[*p], prepo::PostFlag::Essence, true).await?;
                activity::record(
                    conn,
                    &Event::new(Kind::EssenceSet, Some(cid[ci]), moderator, Subject::Post(post_ids[*p])),
                    at,
                )
                .await?;
            }
            if let Some(p) = ranked.first() {
                prepo::set_flag(conn, post_ids[*p], prepo::PostFlag::Pinned, true).await?;
                activity::record(
                    conn,
                    &Event::new(Kind::PostPinned, Some(cid[ci]), moderator, Subject::Post(post_ids[*p])),
                    now - HOUR,
                )
                .await?;
            }
        }
        // A few applications wait in the approval community's queue.
        if let Some(ci) = COMMUNITIES.iter().position(|c| c.policy == "approval") {
            let outsiders: Vec<usize> =
                (12..200).filter(|u| !members[ci].iter().any(|(m, _)| m == u)).take(4).collect();
            for (k, u) in outsiders.into_iter().enumerate() {
                let at = now - (k as i64 + 1) * 5 * HOUR;
                let (a, b) = APPLICATIONS[k % APPLICATIONS.len()];
                let answers = vec![a.to_string(), b.to_string()];
                let id = mrepo::insert_join_request(conn, cid[ci], uid[u], &answers, 1, at).await?;
                activity::record(
                    conn,
                    &Event::new(Kind::JoinRequested, Some(cid[ci]), uid[u], Subject::JoinRequest(id)),
                    at,
                )
                .await?;
            }
        }
        tx.commit().await?;
        // Each capability's showcase, through its real use cases, in the first community.
        let cast = Cast::pick(COMMUNITIES[0].slug, &people, &members[0], &uid);
        if let Some(cast) = &cast {
            moderation::seed(self, cast).await?;
            faq::seed(self, cast).await?;
            automation::seed(self, cast).await?;
            calendar::seed(self, cast, now).await?;
        }
        let owners: Vec<(&str, i64)> = COMMUNITIES.iter().enumerate().map(|(ci, c)| (c.slug, uid[ci])).collect();
        points::seed(self, &owners, cast.as_ref()).await?;
        // The tea house's running reading challenge and its lotteries, with its regulars taking part
        // (a public community: anyone can verify the draw).
        if let Some(ci) = COMMUNITIES.iter().position(|c| c.slug == "tea-house") {
            let regulars: Vec<i64> =
                members[ci].iter().filter(|(m, t)| *m >= 12 && *t < now - 20 * DAY).map(|(m, _)| uid[*m]).collect();
            let owner = crate::accounts::Viewer { id: uid[ci], site_admin: false };
            let challenge = challenges::seed(self, COMMUNITIES[ci].slug, owner, &regulars).await?;
            lotteries::seed(self, COMMUNITIES[ci].slug, owner, &regulars, Some(challenge)).await?;
            gatherings::seed(self, COMMUNITIES[ci].slug, owner, &regulars).await?;
            qa::seed(self, COMMUNITIES[ci].slug, owner, &regulars).await?;
            polls::seed(self, COMMUNITIES[ci].slug, owner, &regulars).await?;
        }
        if let Some(b) = bar {
            b.finish_with_message("demo seeded");
        }
        Ok(Some(report))
    }
}
