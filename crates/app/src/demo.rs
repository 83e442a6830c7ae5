//! The demo: four living, bilingual communities of different kinds with 200
//! members and 90 days of history (posts, comments, reactions, joins through
//! invites, pending applications), written with their activity events at
//! their historical times. Deterministic: the same seed on the same UTC day
//! gives the same database.

use yaji_domain::activity::{CommentCreated, Event, Kind, MemberJoined, PostCreated, ReactionAdded, Subject};
use yaji_domain::community::{CommunitySettings, SettingsInput};
use yaji_domain::content::ContentState;
use yaji_domain::text::{excerpt, markdown_to_html};
use yaji_store::repo::membership as mrepo;
use yaji_store::repo::{activity, community as crepo, content as prepo, user as urepo};

use crate::content::PostInput;
use crate::{App, AppError, AppResult, HashCost};

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

/// SplitMix64: tiny, fast and stable across library versions.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn f(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
    fn chance(&mut self, p: f64) -> bool {
        self.f() < p
    }
}

const SURNAMES: &[(&str, &str)] = &[
    ("林", "lin"),
    ("陈", "chen"),
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("周", "zhou"),
    ("吴", "wu"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("何", "he"),
    ("高", "gao"),
    ("罗", "luo"),
    ("梁", "liang"),
    ("宋", "song"),
    ("唐", "tang"),
    ("许", "xu"),
    ("韩", "han"),
];
const GIVEN: &[(&str, &str)] = &[
    ("晓雨", "xiaoyu"),
    ("子涵", "zihan"),
    ("一鸣", "yiming"),
    ("思远", "siyuan"),
    ("雨桐", "yutong"),
    ("浩然", "haoran"),
    ("欣怡", "xinyi"),
    ("梓轩", "zixuan"),
    ("诗涵", "shihan"),
    ("俊杰", "junjie"),
    ("佳琪", "jiaqi"),
    ("明轩", "mingxuan"),
    ("语嫣", "yuyan"),
    ("天宇", "tianyu"),
    ("若曦", "ruoxi"),
    ("博文", "bowen"),
    ("静怡", "jingyi"),
    ("嘉懿", "jiayi"),
    ("沐晨", "muchen"),
    ("清和", "qinghe"),
    ("知秋", "zhiqiu"),
];
const ENGLISH: &[&str] = &[
    "Emma", "Liam", "Olivia", "Noah", "Ava", "Lucas", "Mia", "Ethan", "Chloe", "Leo", "Grace", "Daniel", "Sophie",
    "Ryan", "Hannah", "Kevin", "Iris", "Jason", "Vivian", "Alex",
];

struct Comm {
    slug: &'static str,
    name: &'static str,
    description: &'static str,
    target: &'static str,
    value: &'static str,
    visibility: &'static str,
    policy: &'static str,
    questions: &'static [&'static str],
    announcement: &'static str,
    rules: &'static str,
    topics: &'static [&'static str],
    weight: f64,
    posts: &'static [(&'static str, &'static str)],
}

const COMMUNITIES: &[Comm] = &[
    Comm {
        slug: "tea-house",
        name: "茶与生活 · Tea & Life",
        description: "一家城市茶馆的会员社群：品鉴会、茶器、节气茶单。A teahouse's member community: tastings, teaware and seasonal menus.",
        target: "喜欢喝茶的城市上班族 / Tea lovers in the city",
        value: "每周品鉴会优先报名、会员茶单、和茶友交流 / Priority for weekly tastings, member menus, fellow tea lovers",
        visibility: "public",
        policy: "open",
        questions: &[],
        announcement: "本周六下午两点：岩茶品鉴会，名额 12 位。Saturday 2pm: rock oolong tasting, 12 seats.",
        rules: "## 群规 House rules\n\n1. 友善交流，尊重不同口味。Be kind; tastes differ.\n2. 不发广告和外链引流。No ads or traffic-pulling links.\n3. 活动报名以帖子为准。Event sign-ups happen in posts.\n",
        topics: &["品鉴", "茶器", "节气", "Events"],
        weight: 1.0,
        posts: &[
            ("今天的凤凰单丛太香了", "下午三点泡了一壶**蜜兰香**，第三泡开始花香和蜜韵一起出来，回甘很长。大家平时用盖碗还是紫砂壶？"),
            ("新手求推荐入门绿茶", "刚开始喝茶，想从绿茶入门，预算两百以内，有什么推荐吗？龙井和碧螺春哪个更适合新手？"),
            ("Brewing temperature for white tea?", "I keep getting a flat taste from my Bai Mu Dan. Do you brew at 85°C or closer to boiling? How many grams per 100 ml?"),
            ("立冬茶单：熟普与老白茶", "立冬之后天气转冷，茶馆本周换上了熟普洱和 2016 年的老白茶。欢迎来店里试饮，会员九折。"),
            ("分享一只新入手的建盏", "兔毫纹很漂亮，养了两个月已经开始有光泽了。附上冲泡心得：\n\n- 先温杯\n- 注水沿杯壁\n- 出汤要快"),
            ("Weekend tasting recap", "Thanks to the 12 of you who came on Saturday! We tasted three Wuyi rock teas side by side. The Rougui was the crowd favourite."),
            ("冷泡茶怎么做不苦？", "夏天做冷泡总是有点苦涩，是茶叶放多了还是时间太长？求大家的配方。"),
            ("关于茶叶储存的一点经验", "绿茶冷藏密封，乌龙和红茶常温避光，普洱要通风。千万不要和香料放在一起！"),
            ("Best gaiwan for beginners", "Looking for a 120 ml porcelain gaiwan that doesn't burn fingers. Any brands you trust?"),
            ("下周的茶艺课开始报名", "主题是**宋代点茶**，两小时，含材料费。想参加的朋友在评论区留言即可。"),
            ("What's in your cup today?", "Mine: a 2019 raw pu-erh, still a bit sharp but lovely apricot notes."),
            ("茶馆新来的抹茶甜品", "配煎茶刚好，不会太甜。周末限量供应，会员可以预留。"),
        ],
    },
    Comm {
        slug: "deep-reading",
        name: "深度阅读会 · Deep Reading Circle",
        description: "付费知识圈：每月共读一本书，打卡、讨论、写读书笔记。A paid circle reading one book a month together.",
        target: "想系统读书、输出笔记的职场人 / Professionals who want to read deeply and write",
        value: "每月一本书的导读、每日打卡、优质笔记沉淀成知识库 / Monthly guides, daily check-ins, a knowledge base of notes",
        visibility: "private",
        policy: "approval",
        questions: &["你最近读过印象最深的一本书是什么？What book stayed with you recently?", "你希望在这里获得什么？What do you hope to get here?"],
        announcement: "十一月共读《置身事内》，每周日晚八点线上讨论。November: 'Inside the System', Sundays 8pm online.",
        rules: "## 阅读会群规\n\n1. 每周至少一次读书打卡。Check in at least weekly.\n2. 讨论对事不对人。Debate ideas, not people.\n3. 笔记可转载请注明作者。Credit authors when sharing notes.\n4. 禁止广告、拉群。No ads or group invites.\n",
        topics: &["共读", "读书笔记", "书单", "Q&A"],
        weight: 1.2,
        posts: &[
            ("《置身事内》第三章笔记", "这一章讲地方政府的**土地财政**，我整理了三个关键概念：\n\n1. 土地出让金\n2. 城投公司\n3. 预算外收入\n\n欢迎补充。"),
            ("读书打卡 Day 12", "今天读了 40 页，印象最深的一句话：制度是长期博弈的均衡。"),
            ("Notes on 'Thinking, Fast and Slow' ch. 1-4", "System 1 vs System 2 is easy to summarise, but the chapter on *cognitive ease* was the real eye-opener for me."),
            ("十二月书单投票", "候选：《枪炮、病菌与钢铁》《人类简史》《原则》。大家更想读哪本？"),
            ("怎样做读书笔记更有效？", "我尝试过卡片笔记法，感觉比划线摘抄更能记住。大家有什么方法？"),
            ("Question: how do you keep a daily reading habit?", "I read on the metro but lose focus after 15 minutes. Tips from people who read an hour a day?"),
            ("第五章讨论：债务与风险", "作者对地方债务的分析很清醒。我们周日晚上的讨论可以围绕“债务为什么会累积”展开。"),
            ("分享一份思维导图", "把前四章画成了一张图，结构清楚多了。"),
            ("Monthly reflection: what changed my mind", "This book made me rethink how incentives shape infrastructure. Curious what surprised others."),
            ("新人报到", "大家好，我是做产品的，希望在这里养成读书的习惯，也多写点东西。"),
            ("打卡：读完了！", "终于读完了整本书，最后一章的总结很有力量。下个月继续！"),
        ],
    },
    Comm {
        slug: "shanghai-runners",
        name: "上海跑团 · Shanghai Runners",
        description: "每周三次约跑，滨江、世纪公园、长距离拉练。Group runs three times a week along the river and in Century Park.",
        target: "上海的跑步爱好者，从 5 公里到全马 / Runners in Shanghai, 5K to marathon",
        value: "固定约跑、训练计划、比赛报名互助 / Regular group runs, training plans, race entry help",
        visibility: "public",
        policy: "open",
        questions: &[],
        announcement: "周六早上 7 点世纪公园 1 号门集合，配速 6:00 和 5:00 两组。Saturday 7am, Century Park gate 1.",
        rules: "## 跑团群规\n\n1. 约跑准时，安全第一。Be on time; safety first.\n2. 不在群里卖装备。No gear sales.\n3. 受伤了先休息，别硬撑。Injured? Rest first.\n",
        topics: &["约跑", "训练", "装备", "Races"],
        weight: 1.1,
        posts: &[
            ("周六世纪公园 LSD 约跑", "计划 18 公里，配速 6:00，七点 1 号门集合。想跟的在下面回复。"),
            ("第一次全马完赛！", "上马 4 小时 12 分，后 10 公里真的靠意志力。感谢跑团的训练计划！"),
            ("Shoes for rainy runs?", "Looking for something with good grip on wet riverside paths. Anyone tried the new trail models?"),
            ("间歇跑怎么安排？", "每周一次 400 米 × 10 的间歇，会不会太多？目标是半马进 1 小时 50。"),
            ("滨江夜跑路线分享", "从东昌路到前滩大约 10 公里，路灯好、人少，很适合下班后跑。"),
            ("Race report: Suzhou half", "Windy but flat. Negative split for the first time — the tempo runs paid off."),
            ("膝盖外侧疼是髂胫束吗？", "最近跑到 8 公里左右膝盖外侧疼，休息了一周还没好，求建议。"),
            ("本月跑量排行榜", "恭喜前三名！月跑量都超过 250 公里了，太强了。"),
            ("Tempo run Wednesday 7pm", "6 km at threshold pace along the Bund. Meet at the ferry terminal."),
            ("新人求带", "刚开始跑步，5 公里要 35 分钟，可以加入周三的慢跑组吗？"),
            ("补给怎么带？", "半马需要带能量胶吗？一般在几公里吃？"),
        ],
    },
    Comm {
        slug: "indie-makers",
        name: "独立开发者 · Indie Makers",
        description: "做产品、做增长、做自己的小生意。邀请制，保持小而真诚。Building products and small businesses; invite only.",
        target: "独立开发者、一人公司 / Indie hackers and solo founders",
        value: "真实收入分享、产品互评、出海经验 / Real revenue numbers, product reviews, going global",
        visibility: "public",
        policy: "invite_only",
        questions: &[],
        announcement: "每月第一个周五：产品互评会。First Friday monthly: product review night.",
        rules: "## Rules\n\n1. 分享真实数据，不吹牛。Share real numbers.\n2. 推广自己的产品请在每周的“展示帖”里。Self-promotion only in the weekly show-off thread.\n",
        topics: &["产品", "增长", "出海", "Show & Tell"],
        weight: 0.7,
        posts: &[
            ("月收入破 1 万美元的复盘", "做了 14 个月的小工具终于到了这个里程碑，主要靠 SEO 和口碑。细节见下。"),
            ("Show & Tell: my invoice app", "Built with Rust + SQLite, one binary. Feedback on the onboarding flow welcome!"),
            ("出海第一步：支付怎么接？", "国内主体想收海外用户的钱，Stripe、Paddle、LemonSqueezy 各有什么坑？"),
            ("冷启动用了哪些渠道？", "Product Hunt、V2EX、即刻、小红书，效果差别很大，分享一下我的数据。"),
            ("Pricing: monthly or lifetime?", "Lifetime deals brought early cash but hurt MRR later. How do you price?"),
            ("一个人怎么做客服？", "用户多了以后邮件回不过来，大家用什么工具？"),
            ("失败项目复盘", "花了三个月做的 AI 写作工具没人付费，反思：没有先验证需求。"),
            ("Weekly wins thread", "Share one thing that went well this week, however small."),
        ],
    },
];

const COMMENTS_ZH: &[&str] = &[
    "说得太好了，收藏了！",
    "同感，我也遇到过这个问题。",
    "谢谢分享，学到了。",
    "可以详细说说吗？",
    "周六我也去！",
    "这个方法我试过，确实有效。",
    "哈哈，太真实了。",
    "加一，期待下次活动。",
    "请问在哪里买的？",
    "我觉得还可以再补充一点：要循序渐进。",
    "已打卡 ✅",
    "这个观点很有启发。",
    "第一次来，大家好！",
    "支持！",
    "同问。",
];
const COMMENTS_EN: &[&str] = &[
    "Great write-up, thanks!",
    "Same here — happened to me last month.",
    "Count me in!",
    "Could you share more details?",
    "This is really helpful.",
    "Love this.",
    "+1, looking forward to the next one.",
    "Interesting take, I hadn't thought of that.",
    "Where did you get it?",
    "Welcome aboard!",
];
const REACTIONS: [&str; 6] = ["👍", "❤️", "😂", "🎉", "🤔", "🙏"];

enum Step {
    Join { c: usize, user: usize, invited_by: Option<usize> },
    Post { c: usize, author: usize, topic: Option<usize>, text: usize, idx: usize },
    Comment { post: usize, author: usize, text: usize },
    React { post: usize, user: usize, emoji: usize },
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
        for day in 0..90i64 {
            let weekday = (day + 4) % 7; // 1970-01-01 was a Thursday
            let weekend = weekday == 2 || weekday == 3;
            for (ci, c) in COMMUNITIES.iter().enumerate() {
                let expected = c.weight * (1.2 + 1.8 * day as f64 / 90.0) * if weekend { 1.4 } else { 1.0 };
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
                    let text = rng.below(c.posts.len());
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
                    steps.push((
                        at,
                        Step::Comment { post: pi, author: who, text: rng.below(COMMENTS_ZH.len() + COMMENTS_EN.len()) },
                    ));
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
            activity::record(
                conn,
                &Event {
                    kind: Kind::UserRegistered,
                    community_id: None,
                    actor_id: Some(id),
                    subject: Subject::User(id),
                    payload: serde_json::Value::Null,
                },
                at,
            )
            .await?;
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
            let v = crepo::publish_rules(conn, id, c.rules, &markdown_to_html(c.rules), owner, start).await?;
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
                &Event::new(Kind::CommunityCreated, Some(id), owner, Subject::Community(id))
                    .with(serde_json::json!({"slug": c.slug, "rules_version": v})),
                start,
            )
            .await?;
            let mut tids = vec![];
            for t in c.topics {
                let tid = crepo::insert_topic(conn, id, t, start).await?;
                activity::record(conn, &Event::new(Kind::TopicCreated, Some(id), owner, Subject::Topic(tid)), start)
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
                    let (title, body) = COMMUNITIES[*c].posts[*text];
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
                            },
                        ),
                        at,
                    )
                    .await?;
                    post_ids[*idx] = id;
                    report.posts += 1;
                }
                Step::Comment { post, author, text } => {
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
                let answers = vec![
                    "《百年孤独》，重读了第三遍。".to_string(),
                    "希望养成每周读完一本书的习惯，也想认识一起读书的朋友。".to_string(),
                ];
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
        // Moderation at work in the first community, through the real use cases:
        // an ad the automod hid (and warned about), a link held for review, a
        // member's report, a muted member. The review queue is not empty.
        let slug = COMMUNITIES[0].slug;
        let regulars: Vec<i64> = members[0].iter().filter(|(m, _)| *m >= 12).map(|(m, _)| uid[*m]).take(4).collect();
        if let [spammer, poster, reporter, linker] = regulars[..] {
            let as_user = |id| crate::accounts::Viewer { id, site_admin: false };
            let post = |title: &'static str, body: &'static str| PostInput { title: Some(title), body, topic_id: None };
            self.create_post(as_user(spammer), slug, post("", "兼职日结，日赚 500，加微信 tea8888 领红包")).await?;
            self.create_post(as_user(linker), slug, post("好茶推荐", "这家店的岩茶很便宜 https://cheap-tea.shop/deal"))
                .await?;
            let p = self.create_post(as_user(poster), slug, post("", "有人知道哪里能买到正宗的凤凰单丛吗？")).await?;
            self.report(as_user(reporter), slug, crate::moderation::ReportKind::Post, p.id, "感觉像在引流").await?;
            let moderator = as_user(uid[5]);
            let linker_name =
                people[members[0].iter().find(|(m, _)| uid[*m] == linker).map_or(0, |(m, _)| *m)].0.clone();
            self.mute(moderator, slug, &linker_name, Some(24 * 60), "反复发外部链接").await?;
            // The FAQ the assistant answers from; a member's question waits for the worker.
            let owner = as_user(uid[0]);
            for (qs, answer) in [
                (vec!["会员费多少钱", "年费是多少", "how much is the membership fee"], "年费 365 元，含全年线上共读和 12 次线下茶会。\n\nMembership is 365 CNY a year, including 12 tea gatherings."),
                (vec!["茶会在哪里举办", "活动地址是什么", "where is the tea gathering held"], "静安区茶室二楼，地铁 2 号线静安寺站步行 5 分钟。"),
                (vec!["可以带朋友来茶会吗", "can I bring a friend"], "可以，每位会员每次可带 1 位朋友，请提前在活动帖报名。"),
                (vec!["茶会怎么报名", "how do I sign up for a tea gathering"], "在活动帖下留言报名，名额满后候补。"),
            ] {
                let input = crate::faq::FaqInput { questions: qs.into_iter().map(str::to_string).collect(), answer: answer.into() };
                self.create_faq_entry(owner, slug, &input).await?;
            }
            self.create_post(as_user(poster), slug, post("", "请问茶会在哪里举办？")).await?;
            // The assistant's chores, configured the way an operator would: templates
            // switched on, a keyword rule for the moderators, a post on the calendar.
            for key in [
                "welcome",
                "newcomer_checklist",
                "weekly_topic",
                "rules_reminder",
                "inactivity_nudge",
                "festival_spring",
            ] {
                self.enable_template(owner, slug, key, true).await?;
            }
            let rule = crate::automation::parse_rule(&serde_json::json!({
                "name": "退款问题转给版主",
                "trigger": {"kind": "keyword_matched", "keywords": ["退款", "退费", "refund"]},
                "actions": [
                    {"kind": "notify", "message": "{name}，退款问题版主会尽快私信你，请留意通知。"},
                    {"kind": "notify_moderators", "message": "{name} 在问退款，请跟进。"}
                ]
            }))?;
            self.save_rule(owner, slug, None, rule, true).await?;
            // The calendar is about the future, whatever time the demo pretends it is.
            let today = crate::now() + 24 * HOUR;
            let saturday = (0..7)
                .map(|d| today + d * 24 * HOUR)
                .find(|t| {
                    chrono::DateTime::from_timestamp_millis(*t)
                        .is_some_and(|t| chrono::Datelike::weekday(&t) == chrono::Weekday::Sat)
                })
                .unwrap_or(now + 24 * HOUR);
            let at = chrono::DateTime::from_timestamp_millis(saturday)
                .unwrap_or_default()
                .format("%Y-%m-%dT10:00")
                .to_string();
            let input = crate::calendar::ScheduleInput {
                title: Some("本周六茶会报名".into()),
                body: "这周六下午两点，静安茶室二楼。想来的朋友在评论里报名，名额 12 位。".into(),
                topic_id: None,
                publish_at: at,
                repeat: Some("0 10 * * 6".into()),
            };
            self.schedule_post(owner, slug, &input).await?;
        }
        if let Some(b) = bar {
            b.finish_with_message("demo seeded");
        }
        Ok(Some(report))
    }
}

fn weighted(rng: &mut Rng, pool: &[(usize, f64)]) -> Option<usize> {
    let total: f64 = pool.iter().map(|p| p.1).sum();
    if pool.is_empty() || total <= 0.0 {
        return None;
    }
    let mut x = rng.f() * total;
    for (i, w) in pool {
        if x < *w {
            return Some(*i);
        }
        x -= w;
    }
    pool.last().map(|p| p.0)
}
