//! Built-in word lists. Written for Yaji; entries are normalized the same way
//! messages are before matching, so spacing and punctuation variants match too.

/// Insults and harassment (class `abuse`).
pub const ABUSE: &[&str] = &[
    "傻逼", "傻b", "煞笔", "沙比", "傻叉", "脑残", "弱智", "智障", "白痴", "去死", "滚蛋", "废物", "贱人", "贱货",
    "操你", "草泥马", "你妈的", "他妈的", "尼玛的", "狗东西", "王八蛋", "死全家", "人渣", "畜生", "蠢货", "蠢猪",
    "sb", "nmsl", "cnm", "nmb", "tmd", "fuck you", "fuck off", "fucking idiot", "motherfucker", "idiot", "moron",
    "retard", "bitch", "asshole", "dumbass", "scumbag", "kill yourself", "kys", "stfu", "piece of shit", "go die",
];

/// Banned topics: gambling, sexual services, drugs, weapons, fraud (class `banned_word`).
pub const BANNED: &[&str] = &[
    "赌博", "博彩", "六合彩", "百家乐", "网赌", "赌场", "色情", "约炮", "裸聊", "援交", "一夜情", "毒品", "冰毒", "大麻",
    "海洛因", "摇头丸", "枪支", "代孕", "办证", "假证", "洗钱", "套现", "裸照", "porn", "casino", "escort service",
    "cocaine", "heroin", "meth", "viagra", "buy followers", "fake id", "money laundering", "online gambling",
];

/// Ad phrases with a weight; the ad-phrase rule fires when the weights in one
/// message reach the configured threshold (2 by default), so one weak phrase
/// ("红包" in a festival greeting) is not an ad but two are.
pub const AD_PHRASES: &[(&str, u8)] = &[
    ("刷单", 2), ("日结", 2), ("躺赚", 2), ("代开发票", 2), ("网赚", 2), ("稳赚", 2), ("包赚", 2), ("日赚", 2),
    ("月入过万", 2), ("招代理", 2), ("免费领取", 2), ("点击链接", 2), ("私聊领取", 2), ("扫码进群", 2), ("加群领", 2),
    ("加我领", 2), ("兼职", 1), ("红包", 1), ("扫码", 1), ("扫一扫", 1), ("二维码", 1), ("加我", 1), ("私聊", 1),
    ("私我", 1), ("优惠", 1), ("返利", 1), ("代理", 1), ("免费", 1), ("赚钱", 1), ("佣金", 1), ("名额有限", 1),
    ("work from home", 2), ("guaranteed profit", 2), ("make money fast", 2), ("earn money", 1), ("part time job", 2),
    ("click the link", 2), ("limited offer", 1), ("free gift", 1), ("scan the qr code", 2), ("qr code", 1),
    ("add me on", 1), ("dm me", 1), ("red envelope", 1), ("crypto signals", 2), ("investment opportunity", 2),
    ("passive income", 1), ("whatsapp me", 2), ("telegram me", 2), ("per day", 1), ("daily pay", 2),
    ("点com", 2), ("点cn", 2), ("dot com", 2),
];

/// Phrases that introduce a WeChat / QQ / Telegram ID; followed by an ID they are an ad.
pub const CONTACT_TRIGGERS: &[&str] = &[
    "微信", "微信号", "加微信", "加微", "薇信", "威信", "v信", "vx", "wx", "weixin", "wechat", "加v", "加薇", "qq",
    "qq号", "加qq", "扣扣", "企鹅号", "telegram", "tg", "电报", "whatsapp", "line id",
];

/// Hosts whose links invite people into another group.
pub const GROUP_INVITE_HOSTS: &[&str] = &[
    "t.me", "telegram.me", "telegram.dog", "discord.gg", "chat.whatsapp.com", "qm.qq.com", "jq.qq.com", "u.wechat.com",
    "line.me", "kook.top", "zsxq.com",
];

/// Paths on general hosts that are group invites.
pub const GROUP_INVITE_PATHS: &[(&str, &str)] = &[("discord.com", "/invite"), ("weixin.qq.com", "/g/"), ("wx.qq.com", "/g/")];

/// Top-level domains a bare `name.tld` must end with to count as a link
/// (links with a scheme or `www.` count whatever their TLD). Keeps "node.js"
/// and "file.txt" from looking like links.
pub const TLDS: &[&str] = &[
    "com", "cn", "net", "org", "io", "me", "cc", "top", "xyz", "co", "info", "app", "dev", "ly", "gg", "link", "vip",
    "shop", "site", "online", "club", "tv", "ru", "us", "uk", "de", "jp", "hk", "tw", "ai", "biz", "store", "live",
    "fun", "icu", "win", "bid", "work", "pro", "asia", "edu", "gov", "so", "to", "im",
];
