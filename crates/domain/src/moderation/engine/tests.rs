use super::*;
use crate::moderation::{ActionKind, CustomRule, PatternKind};

fn rules_hit(set: &RuleSet, text: &str, ctx: &Context) -> Vec<(String, String)> {
    let e = set.evaluate(text, ctx);
    e.hits.iter().map(|h| (set.rule(h.rule).id.clone(), text[h.span.0..h.span.1].to_string())).collect()
}

fn ids(set: &RuleSet, text: &str) -> Vec<String> {
    let mut v: Vec<String> = rules_hit(set, text, &Context::member()).into_iter().map(|(r, _)| r).collect();
    v.dedup();
    v
}

fn with(f: impl FnOnce(&mut ModerationSettings)) -> RuleSet {
    let mut s = ModerationSettings::default();
    f(&mut s);
    RuleSet::compile(&s).unwrap()
}

#[test]
fn community_words_match_through_obfuscation() {
    let set = with(|s| s.banned_words = vec!["加微信".into(), "weixin".into(), "v.x".into()]);
    for text in ["快 加 微 信", "加\u{200B}微\u{200B}信", "加🙂微🙂信", "w e i x i n", "ＷＥＩＸＩＮ", "v.x", "V X"]
    {
        assert!(ids(&set, text).contains(&"banned_word.community".to_string()), "{text}");
    }
    let hits = rules_hit(&set, "请 加 微 信 吧", &Context::member());
    assert!(hits.contains(&("banned_word.community".into(), "加 微 信".into())), "{hits:?}");
}

#[test]
fn ascii_words_keep_their_boundaries() {
    let set = RuleSet::defaults();
    assert!(ids(&set, "a classic bass line, assess the sbc board").is_empty());
    assert_eq!(ids(&set, "you are an idiot"), ["abuse.default_words"]);
    assert_eq!(ids(&set, "you are an i d i o t"), ["abuse.default_words"]);
    assert_eq!(ids(&set, "F U C K  Y O U"), ["abuse.default_words"]);
    assert_eq!(ids(&set, "你是傻 逼吧"), ["abuse.default_words"]);
    assert_eq!(ids(&set, "你這個腦殘"), ["abuse.default_words"], "traditional → simplified");
}

#[test]
fn links_and_the_allowlist() {
    let set = with(|s| s.allowed_domains = vec!["example.com".into()]);
    assert!(ids(&set, "docs at https://docs.example.com/a?b=1").is_empty());
    assert!(ids(&set, "see example.com").is_empty());
    assert_eq!(ids(&set, "see badexample.com now"), ["ad.link"]);
    assert_eq!(ids(&set, "http://example.com.evil.net/x"), ["ad.link"]);
    assert_eq!(ids(&set, "快来 www.zhuanqian.vip 看看"), ["ad.link"]);
    // Not links: file names, versions, emails, abbreviations.
    assert!(ids(&set, "I use node.js and read config.toml, v1.2.3, e.g. this; mail me@example.org").is_empty());
    let hits = rules_hit(&set, "看 https://spam.cn/x 吧", &Context::member());
    assert_eq!(hits, [("ad.link".to_string(), "https://spam.cn/x".to_string())]);
}

#[test]
fn group_invites() {
    let set = with(|s| s.allowed_domains = vec!["discord.com".into()]);
    for text in
        ["join https://t.me/+AbCdEf", "discord.gg/abcd", "https://discord.com/invite/xyz", "chat.whatsapp.com/K1"]
    {
        assert_eq!(ids(&set, text), ["ad.group_invite"], "{text}");
    }
    assert!(ids(&set, "https://discord.com/developers").is_empty());
}

#[test]
fn phone_numbers() {
    let set = RuleSet::defaults();
    for text in [
        "电话13812345678",
        "call 138 1234 5678",
        "1-3-8-1-2-3-4-5-6-7-8",
        "+86 138 1234 5678",
        "WhatsApp +1 (415) 555-0100",
    ] {
        assert!(ids(&set, text).contains(&"ad.phone".to_string()), "{text}");
    }
    for text in ["订单号 2026112212345678", "活动时间 2026-11-22 13:00-18:00", "第 12 期，共 345 人", "价格 1380 元"]
    {
        assert!(!ids(&set, text).contains(&"ad.phone".to_string()), "{text}");
    }
    let staff = Context { reply_to_staff: true, ..Context::member() };
    assert!(set.evaluate("我的电话 13812345678", &staff).hits.is_empty(), "an admin asked for it");
}

#[test]
fn contact_ids() {
    let set = RuleSet::defaults();
    for text in [
        "加微信 abc123",
        "vx: wangxiaoming",
        "V X：ｗｘ８８８８",
        "有事加 q q 12345678",
        "tg @deals_2024",
        "微信号是 hello_world",
    ] {
        assert!(ids(&set, text).contains(&"ad.contact_id".to_string()), "{text}");
    }
    let hits = rules_hit(&set, "兼职日结！加 微 信 abc123 👉 https://spam.example.cn", &Context::member());
    assert!(hits.contains(&("ad.contact_id".into(), "加 微 信 abc123".into())), "{hits:?}");
    let hits = rules_hit(&set, "加微信 a b c 1 2 3 4", &Context::member());
    assert!(hits.contains(&("ad.contact_id".into(), "加微信 a b c 1 2 3 4".into())), "{hits:?}");
    for text in ["我用微信和朋友聊天", "微信支付可以吗", "qq音乐很好用", "the wx widgets toolkit", "wechat is popular"]
    {
        assert!(!ids(&set, text).contains(&"ad.contact_id".to_string()), "{text}");
    }
}

#[test]
fn ad_phrases_need_enough_weight() {
    let set = RuleSet::defaults();
    assert!(ids(&set, "春节快乐，群里发红包啦").is_empty(), "one weak phrase is a greeting");
    assert_eq!(ids(&set, "兼职日结，私聊"), ["ad.phrase"]);
    assert_eq!(ids(&set, "扫码领红包"), ["ad.phrase"]);
    assert_eq!(ids(&set, "Easy part-time job, work from home!"), ["ad.phrase"]);
    assert_eq!(ids(&set, "SCAN THE QR CODE for a free gift"), ["ad.phrase"]);
}

#[test]
fn flood() {
    let set = RuleSet::defaults();
    assert_eq!(ids(&set, "😀😀😀😀😀😀😀😀😀"), ["flood.junk"]);
    assert_eq!(ids(&set, &"啊".repeat(25)), ["flood.junk"]);
    assert!(ids(&set, "哈哈哈哈哈哈哈哈，太好笑了 😂😂").is_empty());
    assert!(ids(&set, "666666").is_empty());
    assert_eq!(ids(&set, "@a @b @c @d @e @f 快来看"), ["flood.mass_mentions"]);

    let now = 1_000_000;
    let recent: Vec<Recent> = (1..=5).map(|i| Recent { at: now - i * 1000, fingerprint: i as u64 }).collect();
    let ctx = Context { now, recent: &recent, ..Context::member() };
    assert_eq!(rules_hit(&set, "又一条", &ctx)[0].0, "flood.rate");
    let old: Vec<Recent> = recent.iter().map(|r| Recent { at: r.at - 60_000, ..*r }).collect();
    assert!(set.evaluate("又一条", &Context { recent: &old, ..ctx }).hits.is_empty());

    let text = "大家好，看看我的新文章";
    let fp = set.evaluate(text, &Context::member()).fingerprint;
    let same = [Recent { at: now - 600_000, fingerprint: fp }, Recent { at: now - 300_000, fingerprint: fp }];
    assert_eq!(rules_hit(&set, "大家好, 看看我的新文章!", &Context { recent: &same, ..ctx })[0].0, "flood.repeat");
}

#[test]
fn newcomers_may_not_link_or_embed_images() {
    let set = RuleSet::defaults();
    let new = Context { author: Author { age_days: Some(1), posts: Some(0), ..Author::MEMBER }, ..Context::member() };
    let old = Context { author: Author { age_days: Some(10), posts: Some(10), ..Author::MEMBER }, ..Context::member() };
    let r = rules_hit(&set, "看 https://foo.com", &new);
    assert!(r.iter().any(|(id, _)| id == "newcomer.link"));
    assert!(!rules_hit(&set, "看 https://foo.com", &old).iter().any(|(id, _)| id == "newcomer.link"));
    assert!(rules_hit(&set, "![x](https://a.b/c.png)", &new).iter().any(|(id, _)| id == "newcomer.image"));
    assert!(rules_hit(&set, "![x](/c.png)", &old).is_empty());
}

#[test]
fn staff_are_exempt() {
    let set = RuleSet::defaults();
    let m = Context { author: Author { role: Role::Moderator, ..Author::MEMBER }, ..Context::member() };
    assert!(set.evaluate("加微信 abc123 兼职日结", &m).hits.is_empty());
}

#[test]
fn custom_rules_words_and_regex() {
    let set = with(|s| {
        s.custom_rules = vec![
            CustomRule {
                name: "competitor".into(),
                kind: PatternKind::Words,
                patterns: vec!["某某课堂".into()],
                sanction: Sanction::new(ActionKind::Hold),
                enabled: true,
            },
            CustomRule {
                name: "order-no".into(),
                kind: PatternKind::Regex,
                patterns: vec![r"\bORD-\d{6}\b".into()],
                sanction: Sanction::new(ActionKind::Hide),
                enabled: true,
            },
        ]
    });
    assert_eq!(rules_hit(&set, "去某某 课堂吧", &Context::member())[0].0, "custom.competitor");
    let e = set.evaluate("单号 ord-123456 请查", &Context::member());
    assert_eq!(set.rule(e.hits[0].rule).id, "custom.order-no");
    assert_eq!(e.sanction.action, ActionKind::Hide);
    assert!(set.evaluate("单号 xord-1234567", &Context::member()).hits.is_empty());
}

#[test]
fn invalid_regex_is_a_field_error_with_the_parser_message() {
    let mut s = ModerationSettings::default();
    s.custom_rules.push(CustomRule {
        name: "broken".into(),
        kind: PatternKind::Regex,
        patterns: vec!["(unclosed".into()],
        sanction: Sanction::new(ActionKind::Hold),
        enabled: true,
    });
    let err = RuleSet::compile(&s).unwrap_err();
    assert_eq!(err.field, "custom_rules");
    assert_eq!(err.code, "invalid_regex");
    assert!(err.message.contains("unclosed group"), "{}", err.message);
}

#[test]
fn regex_rewrite_keeps_meaning_on_the_fast_path() {
    assert_eq!(fast_path_rewrite(r"\bfoo\d+\b"), r"(?-u:\b)foo[0-9]+(?-u:\b)");
    assert_eq!(fast_path_rewrite(r"[\d_]x\\b"), r"[0-9_]x\\b");
    assert_eq!(fast_path_rewrite(r"[]\d]"), r"[]0-9]");
    let re = compile_custom_regex(r"\bvip\d{3}\b").unwrap();
    assert!(re.is_match("买 vip123 会员"));
    assert!(!re.is_match("xvip123"));
}

#[test]
fn every_hit_is_reported_and_the_harshest_sanction_wins() {
    let set = RuleSet::defaults();
    let e = set.evaluate("傻逼，加微信 abc123 看 https://spam.cn", &Context::member());
    let got: Vec<_> = e.hits.iter().map(|h| set.rule(h.rule).id.as_str()).collect();
    assert_eq!(got, ["abuse.default_words", "ad.contact_id", "ad.link"]);
    assert_eq!(e.sanction.action, ActionKind::Warn);
    assert_eq!(set.primary_class(&e), Some(Class::Ad), "ties go to the first class: ad");
}

#[test]
fn disabled_means_allowed() {
    let set = with(|s| s.enabled = false);
    assert!(set.evaluate("傻逼 加微信 abc123", &Context::member()).hits.is_empty());
    let set = with(|s| s.detectors.abuse_words.enabled = false);
    assert!(set.evaluate("傻逼", &Context::member()).hits.is_empty());
}
