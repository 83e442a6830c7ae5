//! What the demo communities say: names, communities with their posts and
//! topics, comments.

pub(super) const SURNAMES: &[(&str, &str)] = &[
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
pub(super) const GIVEN: &[(&str, &str)] = &[
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
pub(super) const ENGLISH: &[&str] = &[
    "Emma", "Liam", "Olivia", "Noah", "Ava", "Lucas", "Mia", "Ethan", "Chloe", "Leo", "Grace", "Daniel", "Sophie",
    "Ryan", "Hannah", "Kevin", "Iris", "Jason", "Vivian", "Alex",
];

pub(super) struct Comm {
    pub slug: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub target: &'static str,
    pub value: &'static str,
    pub visibility: &'static str,
    pub policy: &'static str,
    pub questions: &'static [&'static str],
    pub announcement: &'static str,
    pub rules: &'static str,
    pub topics: &'static [&'static str],
    pub weight: f64,
    pub posts: &'static [(&'static str, &'static str)],
}

pub(super) const COMMUNITIES: &[Comm] = &[
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

pub(super) const COMMENTS_ZH: &[&str] = &[
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
pub(super) const COMMENTS_EN: &[&str] = &[
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
pub(super) const REACTIONS: [&str; 6] = ["👍", "❤️", "😂", "🎉", "🤔", "🙏"];

/// Everyday posts beyond each community's handwritten ones, composed so that
/// no two posts of a community read the same: a frame (title and body with
/// `{s}` for a subject and `{d}` for a detail), a subject and a detail in the
/// frame's language, taken in turn (every combination once before any repeats).
pub(super) struct Everyday {
    pub frames: &'static [(&'static str, &'static str)],
    pub subjects: &'static [&'static str],
    pub details: &'static [&'static str],
}

fn chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

impl Everyday {
    /// Subjects and details in the language of frame `i`.
    fn parts(&self, i: usize) -> (Vec<&'static str>, Vec<&'static str>) {
        let zh = chinese(self.frames[i].0);
        let keep = |v: &[&'static str]| v.iter().copied().filter(|x| chinese(x) == zh).collect::<Vec<_>>();
        (keep(self.subjects), keep(self.details))
    }

    /// The `n`-th composed post (title, body).
    pub fn post(&self, n: usize) -> (String, String) {
        let i = n % self.frames.len();
        let (subjects, details) = self.parts(i);
        let m = n / self.frames.len();
        let (s, d) = (subjects[m % subjects.len()], details[(m / subjects.len()) % details.len()]);
        let fill = |t: &str| t.replace("{s}", s).replace("{d}", d);
        (fill(self.frames[i].0), fill(self.frames[i].1))
    }

    /// How many posts come out before any repeats.
    pub fn len(&self) -> usize {
        let per_frame = (0..self.frames.len()).map(|i| {
            let (s, d) = self.parts(i);
            s.len() * d.len()
        });
        per_frame.min().unwrap_or(0) * self.frames.len()
    }
}

/// Per community, in the order of [`COMMUNITIES`].
pub(super) const EVERYDAY: [Everyday; 4] = [
    Everyday {
        frames: &[
            ("今日茶记：{s}", "今天泡的是{s}，{d}。大家最近在喝什么？"),
            ("{s}怎么泡更好喝？", "手上有一泡{s}，{d}。求有经验的茶友指点水温和投茶量。"),
            ("Tasting note: {s}", "Brewed {s} this afternoon; {d}. Anyone else tried it this season?"),
            ("周末茶席分享｜{s}", "周末在家摆了个小茶席，主角是{s}，{d}。"),
            ("{s}, this year and last", "Compared this year's {s} with last year's: {d}."),
            ("请教：{s}的储存", "{s}买多了，{d}。应该怎么存放比较好？"),
        ],
        subjects: &[
            "凤凰单丛",
            "正山小种",
            "白毫银针",
            "铁观音",
            "大红袍",
            "西湖龙井",
            "碧螺春",
            "六堡茶",
            "滇红",
            "Oriental Beauty",
            "Darjeeling",
            "Sencha",
            "Da Hong Pao",
            "Silver Needle",
            "Lapsang Souchong",
            "a Yunnan black",
        ],
        details: &[
            "第二泡开始出花香",
            "汤色很亮，回甘明显",
            "有点苦涩，可能水太烫了",
            "配了一块桂花糕刚刚好",
            "朋友从产区带回来的",
            "the third infusion was the best",
            "a little astringent at 95°C",
            "sweet finish that lasts",
            "paired well with almond cookies",
            "a gift from a friend in Fujian",
        ],
    },
    Everyday {
        frames: &[
            ("读书打卡｜{s}", "今天读《{s}》，{d}。"),
            ("Reading log: {s}", "Progress on {s}: {d}."),
            ("《{s}》里的一句话", "读《{s}》时停下来想了很久，{d}。"),
            ("有人读过《{s}》吗？", "准备开始读《{s}》，{d}。值得投入一个月吗？"),
            ("Notes: {s}", "Three takeaways from {s} so far: {d}."),
        ],
        subjects: &[
            "置身事内",
            "枪炮、病菌与钢铁",
            "人类简史",
            "原则",
            "思考，快与慢",
            "乡土中国",
            "活着",
            "三体",
            "Sapiens",
            "Thinking, Fast and Slow",
            "The Almanack of Naval Ravikant",
            "Guns, Germs, and Steel",
            "Atomic Habits",
            "The Three-Body Problem",
        ],
        details: &[
            "读了 30 页，做了两页笔记",
            "第五章的论证特别有说服力",
            "有些地方读得很慢，需要反复看",
            "和上个月读的书可以对照着看",
            "read 40 pages and wrote two pages of notes",
            "chapter five is the strongest argument so far",
            "slow going, but worth rereading",
            "it pairs well with last month's book",
            "书里的案例放到今天依然成立",
            "和书友在群里争论了一晚上",
            "准备下周写一篇长笔记",
            "作者的结论我并不完全同意",
            "the examples still hold up today",
            "we argued about it all evening",
            "planning a long write-up next week",
            "I don't fully agree with the conclusion",
        ],
    },
    Everyday {
        frames: &[
            ("晨跑打卡｜{s}", "今早跑了{s}，{d}。"),
            ("Morning run: {s}", "Did {s} this morning: {d}."),
            ("周末约跑：{s}", "这周末想跑{s}，{d}。有人一起吗？"),
            ("Pacing advice for {s}?", "Training for {s} lately; {d}. How do you plan your intervals?"),
        ],
        subjects: &[
            "5 公里",
            "10 公里",
            "半马",
            "滨江 8 公里",
            "世纪公园两圈",
            "徐汇滨江到外滩",
            "400 米间歇",
            "an easy 6 km",
            "a 12 km long run",
            "hill repeats",
            "a half marathon",
            "a 10K race",
            "a riverside loop",
        ],
        details: &[
            "配速 5 分 40 秒，心率稳定",
            "有点冷，但跑完很舒服",
            "膝盖有点不适，放慢了",
            "和跑团的朋友一起，聊着就跑完了",
            "新跑鞋还在磨合",
            "5:40 per km and a steady heart rate",
            "cold, but great once warmed up",
            "my knee complained, so I slowed down",
            "ran it with two club friends",
            "new shoes, still breaking them in",
            "下雨也坚持跑完了",
            "最后一公里冲刺了一下",
            "跑后拉伸了十五分钟",
            "看到了江边的日出",
            "补水没跟上，有点累",
            "kept going through the rain",
            "sprinted the last kilometre",
            "stretched for fifteen minutes after",
            "caught the sunrise by the river",
            "forgot to drink enough water",
        ],
    },
    Everyday {
        frames: &[
            ("Build log: {s}", "Week update on {s}: {d}."),
            ("做了一个{s}", "周末做了一个{s}，{d}。欢迎试用和提意见！"),
            ("Feedback wanted: {s}", "I'm working on {s}; {d}. Would love honest feedback."),
            ("{s}的定价怎么定？", "{s}准备收费了，{d}。大家的定价经验是？"),
        ],
        subjects: &[
            "a habit tracker",
            "a Markdown notes app",
            "a CLI for invoices",
            "an open-source CMS theme",
            "a tea shop POS",
            "a newsletter tool",
            "微信小程序记账工具",
            "独立播客网站",
            "跑步数据看板",
            "读书笔记导出插件",
            "家庭菜谱小程序",
            "二手书交换平台",
            "社区团购表格工具",
            "番茄钟桌面应用",
        ],
        details: &[
            "the first 20 users signed up",
            "I rewrote the sign-in flow",
            "I moved the database to SQLite",
            "dark mode is in",
            "launched it on a small forum",
            "已经有 20 位用户",
            "重写了登录流程",
            "加了深色模式",
            "在小红书上发了第一篇介绍",
            "数据库换成了 SQLite",
            "第一笔付费到账了",
            "修了一个很难复现的 bug",
            "写好了使用文档",
            "the first payment came in",
            "I fixed a bug that was hard to reproduce",
            "the docs are written",
        ],
    },
];

/// Answers applicants give to the approval community's two entry questions.
pub(super) const APPLICATIONS: &[(&str, &str)] = &[
    ("《百年孤独》，重读了第三遍。", "希望养成每周读完一本书的习惯，也想认识一起读书的朋友。"),
    ("Sapiens — it changed how I think about history.", "A reading rhythm, and people to argue with about books."),
    ("《置身事内》，终于看懂了一点地方财政。", "想有人一起讨论，写出更好的读书笔记。"),
    ("最近在读《乡土中国》，很薄但很耐读。", "工作太忙读不进去，希望被大家督促。"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everyday_posts_never_repeat_within_a_community() {
        assert_eq!(EVERYDAY.len(), COMMUNITIES.len());
        for (c, e) in COMMUNITIES.iter().zip(&EVERYDAY) {
            let mut seen = std::collections::HashSet::new();
            for (t, b) in c.posts {
                assert!(seen.insert((t.to_string(), b.to_string())), "{}: {t}", c.slug);
            }
            for n in 0..e.len() {
                let p = e.post(n);
                assert!(!p.0.contains('{') && !p.1.contains('{'), "{}: every slot filled: {p:?}", c.slug);
                assert!(seen.insert(p.clone()), "{}: {p:?} twice", c.slug);
            }
            assert!(e.len() >= 150, "{}: enough for three months of posts", c.slug);
        }
    }
}
